// Fuzz target: importing media — the probe, then opening the decoder and decoding the first frames, as the
// editor does for a thumbnail.
#include "fuzz_input.h"
#include "render/probe.h"
#include "render/video_decoder.h"

#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = tandem::fuzz::asFile(data, size);
    try {
        const tandem::render::MediaInfo info = tandem::render::probe(path);
        if (!info.firstVideo()) return 0;
        tandem::render::VideoDecoder decoder(path);
        tandem::render::Frame frame;
        for (int i = 0; i < 3 && decoder.readNext(frame); ++i) {
        }
    } catch (const std::exception&) {
    }
    return 0;
}
