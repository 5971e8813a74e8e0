// Design note: sequence time → picture. Video tracks are layered bottom first; each clip's media frame for a
// sequence frame is decoded (sequentially when playback or export walks forward, by exact seek otherwise),
// fitted inside the output size with its aspect kept (the bars of an upper layer are transparent, so lower
// layers show through), and blended over what is below with the clip's opacity. Pixel work is OpenCV's.
// Sequence frames and media seconds come in from the caller; nothing here knows the project.
#pragma once

#include "render/frame.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tandem::render {

class VideoDecoder;

struct CompositeClip {
    std::string path;          // the media file
    int64_t start = 0;         // first sequence frame
    int64_t length = 0;        // frames
    double sourceStart = 0;    // media time of the clip's first frame, seconds
    double opacity = 1;
};

struct CompositeTrack {
    std::vector<CompositeClip> clips;
    bool hidden = false;
};

class Compositor {
public:
    // Tracks bottom layer first. `fps` is the sequence's rate.
    Compositor(int width, int height, double fps, std::vector<CompositeTrack> tracks);
    ~Compositor();

    // The picture at sequence frame `frame`: width × height RGB, black where nothing plays. A clip whose
    // media cannot be read shows black (the caller learns why from probe).
    const Frame& frameAt(int64_t frame);

private:
    struct Source {
        std::unique_ptr<VideoDecoder> decoder;
        Frame last; // the most recently decoded frame, reused when a frame is asked for twice
        bool failed = false;
    };
    int width_, height_;
    double fps_;
    std::vector<CompositeTrack> tracks_;
    std::map<std::string, Source> sources_;
    Frame out_;

    const Frame* sourceFrame(const CompositeClip& clip, int64_t sequenceFrame);
    void layer(const Frame& picture, double opacity);
};

} // namespace tandem::render
