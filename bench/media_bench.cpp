// Media throughput on one file, for bench/media.sh to set beside the ffmpeg program:
//   tandem-bench-media decode FILE         every frame decoded to RGB through render::VideoDecoder
//   tandem-bench-media export FILE OUT     FILE as a one-clip sequence at its own size and rate through
//                                          render::exportMovie (x264 medium, CRF 18, AAC), like ffmpeg's
//                                          -c:v libx264 -preset medium -crf 18 -c:a aac
// Prints the seconds taken.
#include "render/exporter.h"
#include "render/probe.h"
#include "render/video_decoder.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace tandem::render;

int main(int argc, char** argv) {
    if (argc < 3 || (std::strcmp(argv[1], "export") == 0 && argc != 4)) {
        std::fprintf(stderr, "usage: tandem-bench-media decode FILE | export FILE OUT\n");
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    int64_t frames = 0;
    if (std::strcmp(argv[1], "decode") == 0) {
        VideoDecoder decoder(argv[2]);
        Frame f;
        while (decoder.readNext(f)) ++frames;
    } else {
        const MediaInfo info = probe(argv[2]);
        const StreamInfo* v = info.firstVideo();
        ExportJob job;
        job.width = v->width;
        job.height = v->height;
        job.fps = v->fps;
        job.frames = int64_t(std::llround(info.duration * v->fps));
        job.video = {CompositeTrack{{CompositeClip::of(argv[2], 0, job.frames, 0.0)}, false}};
        if (info.firstAudio()) {
            auto sound = std::make_shared<AudioSource>();
            sound->samples = decodeAudio(argv[2], kMixRate, kMixChannels);
            MixClip clip;
            clip.source = sound;
            clip.length = sound->frames();
            MixTrack track;
            track.clips = {clip};
            job.audio = {track};
        }
        exportMovie(argv[3], job);
        frames = job.frames;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.3f s for %lld frames\n", seconds, static_cast<long long>(frames));
    return 0;
}
