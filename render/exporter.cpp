#include "render/exporter.h"

#include "render/media_error.h"
#include "render/movie_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace tandem::render {

namespace {

int64_t sampleOf(const ExportJob& job, int64_t frame) {
    return job.firstSampleOfFrame ? job.firstSampleOfFrame(frame) : int64_t(std::llround(frame * kMixRate / job.fps));
}

// Mixes [from, until) of `tracks` into `block` (resized), times `gain`.
void mixBlock(const std::vector<MixTrack>& tracks, int64_t from, int64_t until, float gain, std::vector<float>& block) {
    block.assign(size_t(until - from) * kMixChannels, 0.f);
    mixInto(tracks, from, until - from, block.data());
    if (gain != 1.f)
        for (float& v : block) v *= gain;
}

// About a second of sound at a time.
constexpr int64_t kBlockSamples = kMixRate;

// The samples of the sequence the job covers.
std::pair<int64_t, int64_t> soundRange(const ExportJob& job) {
    return {sampleOf(job, job.firstFrame), sampleOf(job, job.firstFrame + job.frames)};
}

} // namespace

Loudness measureMix(const ExportJob& job) {
    LoudnessMeter meter(kMixRate, kMixChannels);
    const auto [begin, end] = soundRange(job);
    std::vector<float> block;
    for (int64_t at = begin; at < end; at += kBlockSamples) {
        const int64_t until = std::min(end, at + kBlockSamples);
        mixBlock(job.audio, at, until, 1.f, block);
        meter.add(block.data(), until - at);
    }
    return meter.result();
}

std::vector<std::string> exportStems(const std::string& folder, const ExportJob& job, double gainDb) {
    const float gain = float(std::pow(10.0, gainDb / 20.0));
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw MediaError(folder + ": cannot create the stems folder (" + ec.message() + ")");
    std::vector<std::string> written;
    const auto [begin, end] = soundRange(job);
    std::vector<float> block;
    for (size_t i = 0; i < job.audio.size(); ++i) {
        MixTrack alone = job.audio[i];
        if (alone.mute) continue;
        alone.solo = false; // a stem is the track by itself, whatever is soloed in the mix
        // Formatted into a buffer: GCC 12 warns falsely (-Wrestrict) on the string-concatenation forms.
        char fallback[24];
        std::snprintf(fallback, sizeof fallback, "A%zu", i + 1);
        const std::string name = alone.name.empty() ? std::string(fallback) : alone.name;
        const std::string path = (std::filesystem::path(folder) / (name + ".wav")).string();
        MovieSettings settings;
        settings.container = "wav";
        settings.input_sample_rate = kMixRate;
        settings.output_sample_rate = kMixRate;
        settings.channels = kMixChannels;
        MovieWriter wav(path, settings);
        const std::vector<MixTrack> only{alone};
        for (int64_t at = begin; at < end; at += kBlockSamples) {
            const int64_t until = std::min(end, at + kBlockSamples);
            mixBlock(only, at, until, gain, block);
            wav.addAudio(block.data(), until - at);
        }
        wav.finish();
        written.push_back(path);
    }
    return written;
}

ExportReport exportMovie(const std::string& path, const ExportJob& job,
                         const std::function<bool(int64_t, int64_t)>& progress) {
    if (job.frames <= 0) throw MediaError(path + ": the sequence (or the range) is empty; nothing to export");
    if (job.firstFrame < 0) throw MediaError(path + ": the range starts before the sequence");
    if (job.width < 16 || job.height < 16 || job.width % 2 || job.height % 2)
        throw MediaError(path + ": the output size must be even and at least 16×16");
    const bool sound = !job.audio.empty();
    ExportReport report;
    if (sound && job.loudnessTarget) {
        report.measured = measureMix(job);
        report.gainDb = normalisationGainDb(*report.measured, *job.loudnessTarget);
        report.peakLimited = report.gainDb < *job.loudnessTarget - report.measured->integratedLufs - 1e-9;
    }
    const float gain = float(std::pow(10.0, report.gainDb / 20.0));
    MovieSettings settings;
    settings.width = job.width;
    settings.height = job.height;
    settings.fps = job.fps;
    settings.input_sample_rate = sound ? kMixRate : 0;
    settings.channels = kMixChannels;
    settings.output_sample_rate = kMixRate;
    settings.crf = job.crf;
    settings.preset = job.x264Preset;
    settings.container = job.container;
    settings.h264Encoder = job.h264Encoder;
    MovieWriter writer(path, settings);
    report.videoEncoder = writer.videoEncoder();
    Compositor compositor(job.width, job.height, job.fps, job.video);

    const int64_t framesPerBlock = std::max<int64_t>(1, int64_t(std::lround(job.fps))); // about a second
    std::vector<float> block;
    int64_t soundDone = sampleOf(job, job.firstFrame); // sequence samples written up to
    const int64_t end = job.firstFrame + job.frames;
    for (int64_t f = job.firstFrame; f < end; ++f) {
        // A frame that is one opaque full-size picture goes to the encoder as decoded (no RGB round trip).
        if (!writer.addDecodedFrame(compositor.passthroughAt(f))) writer.addFrame(compositor.frameAt(f).rgb.data());
        const bool blockEnds = (f + 1 - job.firstFrame) % framesPerBlock == 0 || f + 1 == end;
        if (sound && blockEnds) {
            const int64_t until = sampleOf(job, f + 1);
            mixBlock(job.audio, soundDone, until, gain, block);
            writer.addAudio(block.data(), until - soundDone);
            soundDone = until;
        }
        if (progress && !progress(f + 1 - job.firstFrame, job.frames)) throw ExportCancelled(); // the writer abandons its file
    }
    writer.finish();
    return report;
}

} // namespace tandem::render
