#include "render/exporter.h"

#include "render/media_error.h"
#include "render/movie_writer.h"

#include <algorithm>
#include <cmath>

namespace tandem::render {

void exportMovie(const std::string& path, const ExportJob& job,
                 const std::function<bool(int64_t, int64_t)>& progress) {
    if (job.frames <= 0) throw MediaError(path + ": the sequence is empty; nothing to export");
    if (job.width < 16 || job.height < 16 || job.width % 2 || job.height % 2)
        throw MediaError(path + ": the output size must be even and at least 16×16");
    const bool sound = !job.audio.empty();
    MovieSettings settings;
    settings.width = job.width;
    settings.height = job.height;
    settings.fps = job.fps;
    settings.input_sample_rate = sound ? kMixRate : 0;
    settings.channels = kMixChannels;
    settings.output_sample_rate = kMixRate;
    settings.crf = job.crf;
    settings.preset = job.x264Preset;
    MovieWriter writer(path, settings);
    Compositor compositor(job.width, job.height, job.fps, job.video);

    auto sampleOf = [&](int64_t frame) {
        return job.firstSampleOfFrame ? job.firstSampleOfFrame(frame) : int64_t(std::llround(frame * kMixRate / job.fps));
    };
    const int64_t framesPerBlock = std::max<int64_t>(1, int64_t(std::lround(job.fps))); // about a second
    std::vector<float> block;
    int64_t soundDone = 0; // samples written
    for (int64_t f = 0; f < job.frames; ++f) {
        writer.addFrame(compositor.frameAt(f).rgb.data());
        const bool blockEnds = (f + 1) % framesPerBlock == 0 || f + 1 == job.frames;
        if (sound && blockEnds) {
            const int64_t until = sampleOf(f + 1);
            block.assign(size_t(until - soundDone) * kMixChannels, 0.f);
            mixInto(job.audio, soundDone, until - soundDone, block.data());
            writer.addAudio(block.data(), until - soundDone);
            soundDone = until;
        }
        if (progress && !progress(f + 1, job.frames)) throw ExportCancelled(); // the writer abandons its file
    }
    writer.finish();
}

} // namespace tandem::render
