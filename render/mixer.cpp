#include "render/mixer.h"

#include "render/video_decoder.h"

#include <algorithm>
#include <cmath>

namespace tandem::render {

namespace {

// Constant-power pan normalised to unity at the centre: a centred track is unchanged, a hard-panned one
// is +3 dB on its side and silent on the other, and loudness stays even as it moves.
void panGains(double pan, double* left, double* right) {
    const double angle = (std::clamp(pan, -1.0, 1.0) + 1.0) * M_PI / 4.0;
    *left = std::cos(angle) * M_SQRT2;
    *right = std::sin(angle) * M_SQRT2;
}

// Gain of a clip's fades at clip-relative sample i.
double fadeGain(const MixClip& c, int64_t i) {
    double g = 1.0;
    if (c.fadeIn > 0 && i < c.fadeIn) g *= double(i) / double(c.fadeIn);
    if (c.fadeOut > 0 && i >= c.length - c.fadeOut) g *= double(c.length - i) / double(c.fadeOut);
    return g;
}

void mixClip(const MixClip& c, double trackLeft, double trackRight, int64_t from, int64_t count, float* out) {
    if (!c.source) return;
    const int64_t begin = std::max(from, c.start);
    const int64_t end = std::min(from + count, c.start + c.length);
    const double gain = decibelsToGain(c.gainDb);
    const bool fading = c.fadeIn > 0 || c.fadeOut > 0;
    const int64_t available = c.source->frames();
    for (int64_t t = begin; t < end; ++t) {
        const int64_t i = t - c.start;          // within the clip
        const int64_t s = c.sourceStart + i;    // within the source
        if (s < 0 || s >= available) continue;  // past the end of the media: silence
        const double g = fading ? gain * fadeGain(c, i) : gain;
        float* o = out + (t - from) * kMixChannels;
        o[0] += float(c.source->samples[size_t(s) * kMixChannels] * g * trackLeft);
        o[1] += float(c.source->samples[size_t(s) * kMixChannels + 1] * g * trackRight);
    }
}

} // namespace

std::shared_ptr<const AudioSource> decodeAudioSource(const std::string& path) {
    auto source = std::make_shared<AudioSource>();
    source->samples = decodeAudio(path, kMixRate, kMixChannels);
    return source;
}

double decibelsToGain(double db) { return std::pow(10.0, db / 20.0); }

void mixInto(const std::vector<MixTrack>& tracks, int64_t from, int64_t count, float* out) {
    const bool anySolo = std::any_of(tracks.begin(), tracks.end(), [](const MixTrack& t) { return t.solo; });
    for (const MixTrack& track : tracks) {
        if (track.mute || (anySolo && !track.solo)) continue;
        double left = 0, right = 0;
        panGains(track.pan, &left, &right);
        const double gain = decibelsToGain(track.gainDb);
        for (const MixClip& c : track.clips)
            if (c.start < from + count && c.start + c.length > from) mixClip(c, left * gain, right * gain, from, count, out);
    }
}

std::vector<float> mixAll(const std::vector<MixTrack>& tracks) {
    int64_t end = 0;
    for (const MixTrack& t : tracks)
        for (const MixClip& c : t.clips) end = std::max(end, c.start + c.length);
    std::vector<float> out(size_t(end) * kMixChannels, 0.f);
    mixInto(tracks, 0, end, out.data());
    return out;
}

} // namespace tandem::render
