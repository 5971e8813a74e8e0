#include "support/talking_face.h"

#include "render/movie_writer.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace tandem::test {

std::vector<float> synthesiseSpeech(const std::string& text) {
    const std::string wav = freshTempDir("speech") + "/speech.wav";
    const std::string command = "espeak-ng -s 150 -w " + wav + " \"" + text + "\" > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return {};
    return render::decodeAudio(wav, kSpeechRate, 1);
}

namespace {

// Mouth opening per frame: the speech's loudness under the frame, scaled to its loudest.
std::vector<double> opennessPerFrame(const std::vector<float>& speech, double fps, int64_t frames) {
    std::vector<double> open(size_t(frames), 0.0);
    const double perFrame = kSpeechRate / fps;
    for (int64_t f = 0; f < frames; ++f) {
        const auto first = size_t(f * perFrame), last = std::min(speech.size(), size_t((f + 1) * perFrame));
        double sum = 0;
        for (size_t i = first; i < last; ++i) sum += double(speech[i]) * speech[i];
        open[size_t(f)] = last > first ? std::sqrt(sum / double(last - first)) : 0;
    }
    const double loudest = *std::max_element(open.begin(), open.end());
    for (double& o : open) o = loudest > 0 ? std::min(1.0, o / loudest * 1.3) : 0;
    return open;
}

void drawFace(cv::Mat& img, double open) {
    img.setTo(cv::Scalar(110, 90, 70)); // RGB backdrop
    const cv::Point c(img.cols / 2, img.rows / 2);
    const int fw = int(img.rows * 0.30), fh = int(img.rows * 0.40);
    cv::ellipse(img, c, cv::Size(fw, fh), 0, 0, 360, cv::Scalar(225, 180, 150), -1, cv::LINE_AA);
    cv::ellipse(img, c - cv::Point(0, int(fh * 0.55)), cv::Size(int(fw * 1.05), int(fh * 0.55)), 0, 180, 360,
                cv::Scalar(60, 40, 30), -1, cv::LINE_AA);
    for (int side : {-1, 1}) {
        const cv::Point eye(c.x + int(side * fw * 0.42), c.y - int(fh * 0.15));
        cv::ellipse(img, eye - cv::Point(0, int(fh * 0.14)), cv::Size(int(fw * 0.24), int(fh * 0.04)), 0, 180, 360,
                    cv::Scalar(70, 50, 40), std::max(2, img.rows / 60), cv::LINE_AA);
        cv::ellipse(img, eye, cv::Size(int(fw * 0.18), int(fh * 0.07)), 0, 0, 360, cv::Scalar(240, 240, 240), -1, cv::LINE_AA);
        cv::circle(img, eye, int(fh * 0.055), cv::Scalar(20, 30, 40), -1, cv::LINE_AA);
    }
    cv::ellipse(img, cv::Point(c.x, c.y + int(fh * 0.15)), cv::Size(int(fw * 0.12), int(fh * 0.08)), 0, 0, 180,
                cv::Scalar(190, 140, 110), -1, cv::LINE_AA);
    const cv::Point m(c.x, c.y + int(fh * 0.45));
    cv::ellipse(img, m, cv::Size(int(fw * 0.35), int(fh * (0.03 + 0.12 * open))), 0, 0, 360, cv::Scalar(150, 60, 60), -1, cv::LINE_AA);
    cv::ellipse(img, m, cv::Size(int(fw * 0.28), std::max(1, int(fh * (0.005 + 0.11 * open)))), 0, 0, 360,
                cv::Scalar(40, 20, 30), -1, cv::LINE_AA);
}

// The sound as the clip carries it: shifted by the offset (silence in front, or the start cut) and stretched.
std::vector<float> soundtrack(const std::vector<float>& speech, const TalkingFace& spec, size_t samples) {
    std::vector<float> out(samples, 0.f);
    if (spec.silent) return out;
    const double shift = spec.audioOffsetSeconds * kSpeechRate;
    for (size_t i = 0; i < samples; ++i) {
        const double source = (double(i) - shift) / spec.stretch;
        const auto k = int64_t(std::floor(source));
        if (k < 0 || size_t(k + 1) >= speech.size()) continue;
        const double t = source - double(k);
        out[i] = float(speech[size_t(k)] * (1 - t) + speech[size_t(k + 1)] * t);
    }
    return out;
}

} // namespace

void writeTalkingFace(const std::string& path, const std::vector<float>& speech, const TalkingFace& spec) {
    const auto frames = int64_t(double(speech.size()) / kSpeechRate * spec.fps);
    const std::vector<double> open = opennessPerFrame(speech, spec.fps, frames);
    render::MovieSettings ms;
    ms.width = spec.width;
    ms.height = spec.height;
    ms.fps = spec.fps;
    ms.input_sample_rate = kSpeechRate;
    ms.channels = 1;
    ms.preset = "veryfast";
    render::MovieWriter writer(path, ms);
    cv::Mat img(spec.height, spec.width, CV_8UC3);
    for (int64_t f = 0; f < frames; ++f) {
        drawFace(img, open[size_t(f)]);
        writer.addFrame(img.data);
    }
    const std::vector<float> sound = soundtrack(speech, spec, speech.size());
    writer.addAudio(sound.data(), int64_t(sound.size()));
    writer.finish();
}

} // namespace tandem::test
