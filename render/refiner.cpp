#include "render/refiner.h"

#include "render/media_error.h"
#include "render/mixer.h"
#include "render/movie_writer.h"
#include "render/probe.h"
#include "render/video_decoder.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace tandem::render {

namespace {

// Optical flow is computed at full resolution up to this width; wider frames stop a pyramid level or more
// short of it, which costs little accuracy and keeps 1080p sources affordable.
constexpr int kFlowFullWidth = 640;
// DIS needs a few patches across its coarsest level; smaller pictures are cross-faded.
constexpr int kFlowMinSide = 16;
// Fixed-point steps that find where an in-between pixel comes from (see sourcePixels).
constexpr int kInversionSteps = 5;
// A flow's round trip a → b → a "closes" when it misses by less than this many pixels plus a share of the
// motion's length (long motions are matched less exactly), and is rejected from about twice that on.
constexpr float kRoundTripSlack = 0.5f;
constexpr float kRoundTripShare = 0.05f;
// The in-between pixel's source is found when the iteration settles within this, and lost beyond the second.
constexpr float kSettledWithin = 0.5f;
constexpr float kLostBeyond = 1.5f;

// Unsharp mask after enlarging: only from this factor on, where bicubic softness shows; `amount` of the
// detail is added back, detail being what a Gaussian of kUnsharpSigma source pixels removes.
constexpr double kSharpenFrom = 1.5;
constexpr double kUnsharpAmount = 0.3;
constexpr double kUnsharpSigma = 0.6;

cv::Mat view(const Frame& f) {
    return cv::Mat(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
}

float ramp(float value, float full, float none) {
    return std::clamp((none - value) / (none - full), 0.f, 1.f);
}

// Every pixel's own coordinates: flows become sampling maps as grid + flow.
cv::Mat identityGrid(cv::Size size) {
    cv::Mat grid(size, CV_32FC2);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x)
            grid.at<cv::Vec2f>(y, x) = cv::Vec2f(float(x), float(y));
    return grid;
}

cv::Mat sampleAt(const cv::Mat& image, const cv::Mat& map) {
    cv::Mat out;
    cv::remap(image, out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return out;
}

cv::Ptr<cv::DISOpticalFlow> makeFlow(int width) {
    auto dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
    int finest = 0;
    while ((width >> finest) > kFlowFullWidth)
        ++finest;
    dis->setFinestScale(finest);
    // Two neighbouring frames of a shot are lit alike; matching brightness as well as texture keeps small
    // bright objects tracked where mean normalisation loses them.
    dis->setUseMeanNormalization(false);
    return dis;
}

// How well `flow` explains the pair: the mean difference between `from` and `to` sampled along it.
double warpError(const cv::Mat& from, const cv::Mat& to, const cv::Mat& flow, const cv::Mat& grid) {
    return cv::norm(from, sampleAt(to, grid + flow), cv::NORM_L1) / double(from.total());
}

// Flow a → b and b → a on grey pictures. DIS now and then locks onto a wrong match in one direction (a small
// object moving further than its own size); so each direction is computed twice, from scratch and started
// from the other direction reversed, and the one that better explains the pair is kept.
std::pair<cv::Mat, cv::Mat> pairFlows(const cv::Mat& greyA, const cv::Mat& greyB, const cv::Mat& grid) {
    auto dis = makeFlow(greyA.cols);
    cv::Mat ab, ba;
    dis->calc(greyA, greyB, ab);
    dis->calc(greyB, greyA, ba);
    cv::Mat abFromBa = -ba, baFromAb = -ab; // calc starts from a flow it is given at the pictures' size
    dis->calc(greyA, greyB, abFromBa);
    dis->calc(greyB, greyA, baFromAb);
    if (warpError(greyA, greyB, abFromBa, grid) < warpError(greyA, greyB, ab, grid)) ab = abFromBa;
    if (warpError(greyB, greyA, baFromAb, grid) < warpError(greyB, greyA, ba, grid)) ba = baFromAb;
    return {ab, ba};
}

// Per pixel of the first frame: 1 where its flow `there` is undone by the flow `back` at the place it lands,
// falling to 0 where the round trip misses — the pixel is hidden in the other frame, or the match is wrong.
cv::Mat roundTrip(const cv::Mat& there, const cv::Mat& back, const cv::Mat& grid) {
    const cv::Mat returned = sampleAt(back, grid + there);
    cv::Mat closes(there.size(), CV_32F);
    for (int y = 0; y < there.rows; ++y)
        for (int x = 0; x < there.cols; ++x) {
            const cv::Vec2f f = there.at<cv::Vec2f>(y, x);
            const float miss = float(cv::norm(f + returned.at<cv::Vec2f>(y, x)));
            const float tolerance = kRoundTripSlack + kRoundTripShare * float(cv::norm(f));
            closes.at<float>(y, x) = ramp(miss, tolerance, 2 * tolerance + 1);
        }
    return closes;
}

// Backward warping needs, for each pixel y of the in-between picture, the source pixel x that moves there:
// x + s·F(x) = y, with F the source's flow and s the share of the way travelled (t from a, 1 − t from b).
// Taking F at y itself (x = y − s·F(y)) is wrong at a moving object's edges, where F jumps; the fixed-point
// iteration x ← y − s·F(x) from x = y corrects that in a few steps wherever F is smooth around the answer.
// Where it does not settle, no source pixel lands on y (that part was hidden in the source): `settled` is 0.
cv::Mat sourcePixels(const cv::Mat& flow, float s, const cv::Mat& grid, cv::Mat& settled) {
    cv::Mat x = grid.clone();
    for (int i = 0; i < kInversionSteps; ++i)
        x = grid - s * sampleAt(flow, x);
    const cv::Mat miss = x + s * sampleAt(flow, x) - grid;
    settled.create(grid.size(), CV_32F);
    for (int r = 0; r < grid.rows; ++r)
        for (int c = 0; c < grid.cols; ++c)
            settled.at<float>(r, c) =
                ramp(float(cv::norm(miss.at<cv::Vec2f>(r, c))), kSettledWithin, kLostBeyond);
    return x;
}

Frame crossFade(const Frame& a, const Frame& b, double t) {
    Frame out{a.width, a.height, -1, std::vector<uint8_t>(a.rgb.size())};
    cv::Mat target = view(out);
    cv::addWeighted(view(a), 1 - t, view(b), t, 0, target);
    return out;
}

// Source frames i and i + 1 from a decoder read in order (the index is counted here, so a stream whose
// timestamps skip still yields every picture).
class SourceWindow {
public:
    explicit SourceWindow(VideoDecoder& decoder) : decoder_(decoder) {}

    // Makes current() frame i and next() frame i + 1 where the stream has it; false when frame i is past its
    // end. i never goes back.
    bool moveTo(int64_t i) {
        if (first_ < 0) {
            if (!read(current_)) return false;
            first_ = 0;
            hasNext_ = read(next_);
        }
        while (first_ < i) {
            if (!hasNext_) return false;
            std::swap(current_, next_);
            ++first_;
            hasNext_ = read(next_);
        }
        return true;
    }
    const Frame& current() const { return current_; }
    const Frame* next() const { return hasNext_ ? &next_ : nullptr; }
    bool ended() const { return ended_; }
    int64_t framesRead() const { return read_; }

private:
    VideoDecoder& decoder_;
    Frame current_, next_;
    int64_t first_ = -1; // the index of current_; -1 before the first read
    bool hasNext_ = false;
    bool ended_ = false;
    int64_t read_ = 0;

    bool read(Frame& f) {
        if (!ended_ && !decoder_.readNext(f)) ended_ = true;
        if (ended_) return false;
        f.index = read_++;
        return true;
    }
};

int even(double size) {
    return std::max(2, int(std::lround(size / 2)) * 2);
}

// The size asked for; a 0 keeps the source's, or with the other side given follows it with the aspect kept.
// Kept and derived sizes are made even, as H.264 needs.
std::pair<int, int> outputSize(int width, int height, const RefineSettings& s) {
    if (s.width > 0 && s.height > 0) return {s.width, s.height};
    if (s.width > 0) return {s.width, even(double(s.width) * height / width)};
    if (s.height > 0) return {even(double(s.height) * width / height), s.height};
    return {even(width), even(height)};
}

} // namespace

struct FrameInterpolator::Impl {
    Frame a, b;
    bool flowing = false; // false: too small for flow, cross-faded
    cv::Mat grid, floatA, floatB;
    cv::Mat ab, ba;           // flows a → b, b → a
    cv::Mat closesA, closesB; // roundTrip of each frame's flow
};

FrameInterpolator::FrameInterpolator(const Frame& a, const Frame& b) : impl_(std::make_unique<Impl>()) {
    if (a.width != b.width || a.height != b.height || a.rgb.size() != size_t(a.width) * a.height * 3 ||
        b.rgb.size() != a.rgb.size())
        throw std::invalid_argument("frames to interpolate must be RGB pictures of the same size");
    Impl& m = *impl_;
    m.a = a;
    m.b = b;
    m.flowing = std::min(a.width, a.height) >= kFlowMinSide;
    if (!m.flowing) return;
    m.grid = identityGrid(cv::Size(a.width, a.height));
    cv::Mat greyA, greyB;
    cv::cvtColor(view(a), greyA, cv::COLOR_RGB2GRAY);
    cv::cvtColor(view(b), greyB, cv::COLOR_RGB2GRAY);
    std::tie(m.ab, m.ba) = pairFlows(greyA, greyB, m.grid);
    m.closesA = roundTrip(m.ab, m.ba, m.grid);
    m.closesB = roundTrip(m.ba, m.ab, m.grid);
    view(a).convertTo(m.floatA, CV_32FC3);
    view(b).convertTo(m.floatB, CV_32FC3);
}

FrameInterpolator::~FrameInterpolator() = default;
FrameInterpolator::FrameInterpolator(FrameInterpolator&&) noexcept = default;
FrameInterpolator& FrameInterpolator::operator=(FrameInterpolator&&) noexcept = default;

Frame FrameInterpolator::at(double t) const {
    const Impl& m = *impl_;
    if (!(t > 0)) return m.a; // NaN too
    if (t >= 1) return m.b;
    if (!m.flowing) return crossFade(m.a, m.b, t);
    // Each frame warped to instant t: a moves t of the way along its flow, b 1 − t back along its own.
    cv::Mat settledA, settledB;
    const cv::Mat fromA = sourcePixels(m.ab, float(t), m.grid, settledA);
    const cv::Mat fromB = sourcePixels(m.ba, float(1 - t), m.grid, settledB);
    const cv::Mat warpedA = sampleAt(m.floatA, fromA), warpedB = sampleAt(m.floatB, fromB);
    const cv::Mat closesA = sampleAt(m.closesA, fromA), closesB = sampleAt(m.closesB, fromB);
    Frame out{m.a.width, m.a.height, -1, std::vector<uint8_t>(m.a.rgb.size())};
    const float ft = float(t);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            // A side is trusted where its source pixel was found and its flow survives the round trip — or
            // where only it finds one: a region uncovered by the motion is seen in that frame alone.
            const float sa = settledA.at<float>(y, x), sb = settledB.at<float>(y, x);
            const float trustA = sa * std::max(closesA.at<float>(y, x), 1 - sb);
            const float trustB = sb * std::max(closesB.at<float>(y, x), 1 - sa);
            const float wa = (1 - ft) * trustA, wb = ft * trustB;
            // Where neither side is trusted (occlusion both ways, or a failed match) the plain cross-fade
            // takes over: it blurs motion but never puts anything in the wrong place.
            const float fade = 1 - std::max(trustA, trustB);
            const cv::Vec3f pa = warpedA.at<cv::Vec3f>(y, x), pb = warpedB.at<cv::Vec3f>(y, x);
            const size_t i = (size_t(y) * out.width + x) * 3;
            for (int c = 0; c < 3; ++c) {
                const float warped = wa + wb > 1e-6f ? (wa * pa[c] + wb * pb[c]) / (wa + wb) : 0.f;
                const float faded = (1 - ft) * m.a.rgb[i + c] + ft * m.b.rgb[i + c];
                out.rgb[i + c] = cv::saturate_cast<uint8_t>((1 - fade) * warped + fade * faded);
            }
        }
    return out;
}

Frame interpolateFrame(const Frame& a, const Frame& b, double t) {
    if (t <= 0) return a;
    if (t >= 1) return b;
    return FrameInterpolator(a, b).at(t);
}

FrameRateConverter::FrameRateConverter(double sourceFps, double targetFps) {
    if (!(sourceFps > 0) || !(targetFps > 0) || !std::isfinite(sourceFps) || !std::isfinite(targetFps))
        throw std::invalid_argument("frame rates must be positive");
    ratio_ = sourceFps / targetFps;
}

SourcePosition FrameRateConverter::at(int64_t outputFrame) const {
    // An output instant within rounding of a source instant shows that source frame as it is.
    constexpr double kOnFrame = 1e-6;
    const double p = double(outputFrame) * ratio_;
    const double frame = std::floor(p + kOnFrame);
    const double t = p - frame;
    return {int64_t(frame), t < kOnFrame ? 0.0 : t};
}

int64_t FrameRateConverter::outputFrames(int64_t sourceFrames) const {
    return std::llround(double(sourceFrames) / ratio_);
}

Frame upscale(const Frame& in, int width, int height) {
    if (in.width <= 0 || in.height <= 0 || in.rgb.size() != size_t(in.width) * in.height * 3 || width <= 0 ||
        height <= 0)
        throw std::invalid_argument("upscale needs an RGB picture and a positive size");
    const double scale = std::min(double(width) / in.width, double(height) / in.height);
    const int w = std::clamp(int(std::lround(in.width * scale)), 1, width);
    const int h = std::clamp(int(std::lround(in.height * scale)), 1, height);
    Frame out{width, height, in.index, std::vector<uint8_t>(size_t(width) * height * 3, 0)};
    const cv::Mat src = view(in);
    cv::Mat fitted;
    if (w == in.width && h == in.height) {
        fitted = src;
    } else if (scale < 1) {
        cv::resize(src, fitted, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    } else {
        cv::resize(src, fitted, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
        if (scale >= kSharpenFrom) {
            cv::Mat blurred;
            cv::GaussianBlur(fitted, blurred, cv::Size(), kUnsharpSigma * scale);
            cv::addWeighted(fitted, 1 + kUnsharpAmount, blurred, -kUnsharpAmount, 0, fitted);
        }
    }
    cv::Mat region = view(out)(cv::Rect((width - w) / 2, (height - h) / 2, w, h));
    fitted.copyTo(region);
    return out;
}

void refineMovie(const std::string& in, const std::string& out, const RefineSettings& settings,
                 const std::function<bool(int64_t, int64_t)>& progress) {
    if (settings.fps < 0 || settings.width < 0 || settings.height < 0)
        throw std::invalid_argument("refine: the frame rate and size must not be negative");
    VideoDecoder decoder(in);
    if (!(decoder.fps() > 0)) throw MediaError(in + ": a still picture has no motion to refine");
    const double fps = settings.fps > 0 ? settings.fps : decoder.fps();
    const auto [width, height] = outputSize(decoder.width(), decoder.height(), settings);
    std::vector<float> sound;
    if (probe(in).firstAudio()) sound = decodeAudio(in, kMixRate, kMixChannels);
    const int64_t soundFrames = int64_t(sound.size()) / kMixChannels;

    MovieSettings ms;
    ms.width = width;
    ms.height = height;
    ms.fps = fps;
    ms.input_sample_rate = sound.empty() ? 0 : kMixRate;
    ms.channels = kMixChannels;
    ms.output_sample_rate = kMixRate;
    MovieWriter writer(out, ms);

    int64_t soundDone = 0; // sample frames written
    auto writeSoundUntil = [&](int64_t until) {
        until = std::min(until, soundFrames);
        if (until <= soundDone) return;
        writer.addAudio(sound.data() + soundDone * kMixChannels, until - soundDone);
        soundDone = until;
    };

    const FrameRateConverter rate(decoder.fps(), fps);
    const int64_t estimate = rate.outputFrames(decoder.frameCount());
    const int64_t framesPerBlock = std::max<int64_t>(1, std::lround(fps)); // sound a second at a time
    SourceWindow source(decoder);
    std::optional<FrameInterpolator> between; // the flow of the current pair, kept for all its in-betweens
    int64_t betweenFrame = -1;
    int64_t done = 0;
    for (;; ++done) {
        const SourcePosition p = rate.at(done);
        if (!source.moveTo(p.frame)) break;
        if (source.ended() && done >= rate.outputFrames(source.framesRead())) break; // the input's duration
        Frame picture;
        if (p.t == 0 || !source.next()) { // on a source frame, or past the last one (held)
            picture = upscale(source.current(), width, height);
        } else {
            if (betweenFrame != p.frame) between.emplace(source.current(), *source.next());
            betweenFrame = p.frame;
            picture = upscale(between->at(p.t), width, height);
        }
        writer.addFrame(picture.rgb.data());
        if ((done + 1) % framesPerBlock == 0)
            writeSoundUntil(std::llround(double(done + 1) * kMixRate / fps));
        const int64_t total =
            source.ended() ? rate.outputFrames(source.framesRead()) : std::max(estimate, done + 1);
        if (progress && !progress(done + 1, total)) throw RefineCancelled(); // the writer abandons its file
    }
    if (done == 0) throw MediaError(in + ": no pictures to refine");
    writeSoundUntil(soundFrames); // all of it, as the input has it
    writer.finish();
}

} // namespace tandem::render
