// Design note: sequence time → picture. Video tracks are layered bottom first; for each sequence frame
// layersAt() says which clips show, at which media time and with what opacity — the one place that knows
// clip ranges and cross-dissolves, shared with the prefetch thread so it decodes exactly what will be asked
// for. A cross-dissolve of L frames is centred on the cut: the outgoing clip plays on for L/2 frames past
// it (on its media's handle) under the incoming one, which starts L/2 frames early and fades up from 0 to
// its opacity. Each picture (from the frame cache when one is given, else decoded by time, so variable frame
// rates and stills need nothing special) is fitted inside the output with its aspect kept — the bars of an
// upper layer are transparent — and blended over what is below. An inpaint preview's mask is tinted over
// its clip's picture, fitted the same way. Pixel work is OpenCV's; nothing here knows the project.
#pragma once

#include "render/frame.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct AVFrame;

namespace tandem::render {

class VideoDecoder;

// A painted mask shown over a clip: coverage 0–255 at any size (stretched to the clip's picture), tinted.
struct MaskOverlay {
    int width = 0, height = 0;
    std::vector<uint8_t> coverage;
    uint8_t red = 255, green = 48, blue = 96;
    double strength = 0.5; // tint at full coverage
};

struct CompositeClip {
    std::string path;          // the media file
    int64_t start = 0;         // first sequence frame
    int64_t length = 0;        // frames
    double sourceStart = 0;    // media time of the clip's first frame, seconds
    double opacity = 1;
    int64_t fadeIn = 0, fadeOut = 0; // frames of ramp from / to transparent at the clip's ends
    int64_t dissolveIn = 0;    // frames of cross-dissolve from the previous clip on the track, centred on the cut
    std::shared_ptr<const MaskOverlay> overlay; // inpaint preview, or none

    static CompositeClip of(std::string path, int64_t start, int64_t length, double sourceStart,
                            double opacity = 1) {
        CompositeClip c;
        c.path = std::move(path);
        c.start = start;
        c.length = length;
        c.sourceStart = sourceStart;
        c.opacity = opacity;
        return c;
    }
};

struct CompositeTrack {
    std::vector<CompositeClip> clips;
    bool hidden = false;
};

struct LayerRequest {
    const CompositeClip* clip = nullptr;
    double mediaSeconds = 0;
    double opacity = 1;
};

// The layers showing at sequence frame `frame`, bottom first. `fps` is the sequence's rate.
std::vector<LayerRequest> layersAt(const std::vector<CompositeTrack>& tracks, double fps, int64_t frame);

class FrameCache;

class Compositor {
public:
    // Tracks bottom layer first. `fps` is the sequence's rate. With a cache, pictures are looked up there
    // first (a prefetch thread may have decoded them) and what is decoded here is put there too.
    Compositor(int width, int height, double fps, std::vector<CompositeTrack> tracks,
               std::shared_ptr<FrameCache> cache = {});
    ~Compositor();

    // The picture at sequence frame `frame`: width × height RGB, black where nothing plays. A clip whose
    // media cannot be read shows black (the caller learns why from probe).
    const Frame& frameAt(int64_t frame);

    // When frame `frame` is exactly one opaque, full-size, upright picture with nothing drawn over it, that
    // picture as decoded — so an exporter can encode it without a round trip through RGB; else nullptr.
    const AVFrame* passthroughAt(int64_t frame);

    const std::vector<CompositeTrack>& tracks() const { return tracks_; }
    double fps() const { return fps_; }

private:
    struct Source {
        std::unique_ptr<VideoDecoder> decoder;
        bool failed = false;
    };
    int width_, height_;
    double fps_;
    std::vector<CompositeTrack> tracks_;
    std::shared_ptr<FrameCache> cache_;
    std::map<std::string, Source> sources_;
    std::shared_ptr<const Frame> held_; // keeps a cached picture alive while it is drawn
    Frame out_;

    const Frame* sourceFrame(const std::string& path, double seconds);
    void layer(const Frame& picture, double opacity, const MaskOverlay* overlay);
};

// Decodes the picture of `path` at `seconds` with `decoder` (opened on first use; a failure marks the
// source failed and gives nullptr). Shared by the compositor and the prefetch thread.
const Frame* decodeAt(std::unique_ptr<VideoDecoder>& decoder, bool& failed, const std::string& path,
                      double seconds);

} // namespace tandem::render
