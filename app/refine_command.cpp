#include "app/refine_command.h"

#include "app/cli_args.h"
#include "app/progress_line.h"
#include "render/probe.h"
#include "render/refiner.h"

#include <cstdio>
#include <iostream>
#include <tuple>

namespace tandem::app {

const char* kRefineUsage = R"(usage: tandem-cli refine IN -o OUT.mp4 [--fps F] [--size WxH]

Brings a shot — typically a model's small, low-rate output — to a deliverable rate and size. Frames between
the source's are made by optical-flow interpolation (a plain cross-fade where the motion cannot be followed);
pictures are enlarged (bicubic, lightly sharpened) to fit inside the size with their aspect kept, on black
bars; the sound is copied through. The length stays the same. The file appears only when it is complete;
Ctrl+C cancels and leaves nothing behind.

options:
  -o, --output FILE   the MP4 to write (H.264 + AAC 48 kHz stereo)
  --fps F             frame rate (default: the source's), e.g. 24, 30, 29.97
  --size WxH          frame size in even numbers, e.g. 1920x1080 (default: the source's); a 0 for W or H
                      follows the other side with the aspect kept (1920x0)
  --quiet             no progress line
)";

namespace {

// "1920x1080" → {1920, 1080}. Each side is even and 16…8192, or 0 to follow the other.
std::pair<int, int> parseSize(const std::string& text) {
    const auto x = text.find_first_of("xX");
    auto side = [&](const std::string& digits) {
        if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError("--size must be WxH, e.g. 1920x1080, got '" + text + "'");
        const int v = std::stoi(digits);
        if (v != 0 && (v < 16 || v > 8192 || v % 2))
            throw UsageError("--size sides must be even numbers from 16 to 8192 (or 0), got '" + text + "'");
        return v;
    };
    if (x == std::string::npos) throw UsageError("--size must be WxH, e.g. 1920x1080, got '" + text + "'");
    const std::pair<int, int> size{side(text.substr(0, x)), side(text.substr(x + 1))};
    if (size.first == 0 && size.second == 0) throw UsageError("--size 0x0 leaves nothing to fit");
    return size;
}

} // namespace

int runRefine(const std::vector<std::string>& words) {
    Args args(words, "refine", {"output", "fps", "size"}, {"quiet"}, {{"-o", "--output"}});
    if (args.positional().size() != 1) throw UsageError("refine needs exactly one input movie");
    const std::string in = args.positional()[0];
    const std::string out = args.required("output");
    render::RefineSettings settings;
    settings.fps = args.number("fps", 0, 1, 240);
    if (args.has("size")) std::tie(settings.width, settings.height) = parseSize(args.text("size"));

    ProgressLine progress("refine", args.has("quiet"));
    try {
        render::refineMovie(in, out, settings, [&](int64_t done, int64_t total) { return progress(done, total); });
    } catch (const render::RefineCancelled&) {
        progress.finish();
        std::fprintf(stderr, "refine cancelled; nothing was written to %s\n", out.c_str());
        return 130;
    }
    progress.finish();
    const render::MediaInfo info = render::probe(out);
    if (const render::StreamInfo* v = info.firstVideo())
        std::cout << out << ": " << v->width << "x" << v->height << ", " << v->frames << " frames at " << v->fps
                  << " fps, " << info.duration << " s" << (info.firstAudio() ? ", with sound" : ", silent") << "\n";
    return 0;
}

} // namespace tandem::app
