#include "ui/sync_panel.h"

#include "render/video_decoder.h"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <exception>

namespace tandem::ui {

using timeline::Id;

namespace {

// Filmstrip: a picture every quarter second reads as mouth shapes; long clips get fewer so a run stays quick.
constexpr double kFilmStepSeconds = 0.25;
constexpr int kMaxFilmFrames = 480;
constexpr int kFilmHeight = 48;
// The detected mouth box is tight; lips opening wide leave it, so the crop is grown about its centre.
constexpr double kMouthEnlarge = 1.5;
// A little media before the clip's first frame, so a sound nudged earlier can be seen crossing time 0.
constexpr double kLeadSeconds = 0.25;
// Below this the sound is where the picture is: Fix does not record an empty undo step.
constexpr double kInSyncMs = 0.01;

// View geometry.
constexpr int kLabelWidth = 64;
constexpr int kRightMargin = 8;
constexpr int kGap = 4;
constexpr int kAxisHeight = 16;
constexpr int kWaveHeight = 44;
constexpr int kCurveHeight = 60;
constexpr int kDriftHeight = 40;
constexpr int kMinTickSpacing = 40; // pixels between second labels before some are left out

const QColor kVideoColour(0x3a, 0x8d, 0xde);
const QColor kAudioColour(0xe0, 0x8a, 0x1c);
const QColor kWaveColour(0x4c, 0xa8, 0x6a);
const QColor kDriftColour(0x8a, 0x6c, 0xcc);
const QColor kShotColour(0x22, 0x22, 0x22);    // a shot's own offset, dark over the green waveform
const QColor kSlippedColour(0xd0, 0x30, 0x30); // a shot slipped against the rest
const QColor kZeroColour(0xd8, 0x3c, 0x3c);
// Fixing one shot cuts the clip at the shot's ends, but not this close to the clip's own ends (the shots
// the analyzer found end on whole frames; the clip may run a little longer with its sound).
constexpr double kSnapSeconds = 0.2;

QString translated(const char* text) {
    return QCoreApplication::translate("SyncPanel", text);
}

// --- the worker

// Wraps the decoder's pixels without copying: valid only while the frame is.
QImage wrapFrame(const render::Frame& frame) {
    return QImage(frame.rgb.data(), frame.width, frame.height, frame.width * 3, QImage::Format_RGB888);
}

const render::MouthBox* mouthAt(const render::SyncReport& report, double seconds) {
    if (report.mouths.empty() || report.fps <= 0) return nullptr;
    const auto last = int64_t(report.mouths.size()) - 1;
    const int64_t index = std::clamp<int64_t>(std::llround(seconds * report.fps), 0, last);
    const render::MouthBox& box = report.mouths[size_t(index)];
    return box.width > 0 && box.height > 0 ? &box : nullptr;
}

QRect grownMouth(const render::MouthBox& box, const QRect& picture) {
    const double width = box.width * kMouthEnlarge, height = box.height * kMouthEnlarge;
    const double left = box.x + box.width / 2.0 - width / 2, top = box.y + box.height / 2.0 - height / 2;
    return QRectF(left, top, width, height).toAlignedRect().intersected(picture);
}

// The mouth crop, or the whole frame where there is no face; copied, so it outlives the decoder's frame.
QImage filmPicture(const render::Frame& frame, const render::MouthBox* mouth) {
    const QImage picture = wrapFrame(frame);
    QRect area = picture.rect();
    if (mouth && !grownMouth(*mouth, area).isEmpty()) area = grownMouth(*mouth, area);
    return picture.copy(area).scaledToHeight(kFilmHeight, Qt::SmoothTransformation);
}

QList<SyncFilmFrame> decodeFilm(const std::string& path, const render::SyncReport& report, double start,
                                double length) {
    render::VideoDecoder decoder(path);
    const double step = std::max(kFilmStepSeconds, length / kMaxFilmFrames);
    const int count = int(std::ceil(length / step));
    QList<SyncFilmFrame> film;
    for (int i = 0; i < count; ++i) {
        const double seconds = start + i * step;
        const render::Frame* frame = decoder.frameAtTime(seconds);
        if (!frame) break;
        film.append({seconds, filmPicture(*frame, mouthAt(report, seconds))});
    }
    return film;
}

// --- the summary

QString signedNumber(double value, int decimals) {
    const QString digits = QString::number(std::abs(value), 'f', decimals);
    if (std::abs(value) * std::pow(10.0, decimals) < 0.5) return digits; // rounds to zero: no sign
    return (value > 0 ? QStringLiteral("+") : QStringLiteral("−")) + digits;
}

QString signedMs(double ms) {
    return translated("%1 ms").arg(signedNumber(ms, 0));
}

QString methodName(render::SyncMethod method) {
    switch (method) {
    case render::SyncMethod::Lips:
        return translated("lips");
    case render::SyncMethod::Impacts:
        return translated("impacts");
    case render::SyncMethod::None:
        break;
    }
    return {};
}

QString offsetSentence(double offsetMs, double fps) {
    if (std::abs(offsetMs) < 0.5) return translated("Audio in sync (0 ms)");
    const char* text = offsetMs > 0 ? "Audio late by %1 ms (%2 frames)" : "Audio early by %1 ms (%2 frames)";
    const double frames = std::abs(offsetMs) * fps / 1000;
    return translated(text).arg(qint64(std::llround(std::abs(offsetMs)))).arg(frames, 0, 'f', 1);
}

QString measuredSummary(const render::SyncReport& report, double fps) {
    if (!report.offsetMs) return translated("No estimate: %1").arg(QString::fromStdString(report.reason));
    QStringList parts{offsetSentence(*report.offsetMs, fps),
                      translated("confidence %1").arg(report.confidence, 0, 'f', 2)};
    if (!methodName(report.method).isEmpty()) parts << methodName(report.method);
    if (report.driftMsPerSecond)
        parts << translated("drift %1 ms/s").arg(signedNumber(*report.driftMsPerSecond, 1));
    if (report.shots.size() > 1)
        parts << translated("%1 shots (%2 left out)").arg(report.shots.size()).arg(report.shotsLeftOut);
    QString text = parts.join(QStringLiteral(" · "));
    for (const render::ShotSync& shot : report.shots)
        if (shot.slipped)
            text += u'\n' + translated("the shot at %1 s is slipped: its sound %2 against the rest")
                                .arg(shot.startSeconds, 0, 'f', 2)
                                .arg(signedMs(*shot.offsetMs - *report.offsetMs));
    return text;
}

// The clip's delay is added: a delay makes the sound later, so it adds to a "late" offset.
QString reportSummary(const render::SyncReport& report, double delayMs, double fps) {
    QString text = measuredSummary(report, fps);
    if (std::abs(delayMs) < kInSyncMs) return text;
    if (!report.offsetMs) return text + u'\n' + translated("this clip's nudge: %1").arg(signedMs(delayMs));
    return text + u'\n' +
           translated("with this clip's nudge of %1: %2")
               .arg(signedMs(delayMs), signedMs(*report.offsetMs + delayMs));
}

// --- the project

bool onAudioTrack(const timeline::ProjectState& state, Id clipId) {
    const timeline::Track* track = state.trackOfClip(clipId);
    return track && track->kind == timeline::TrackKind::Audio;
}

// The clip whose sound a nudge moves: the clip itself if it is audio, else its linked audio partner.
const timeline::Clip* soundClip(const timeline::ProjectState& state, Id clipId) {
    const timeline::Clip* clip = state.clip(clipId);
    if (!clip) return nullptr;
    if (onAudioTrack(state, clip->id)) return clip;
    if (clip->linkedClipId && onAudioTrack(state, clip->linkedClipId)) return state.clip(clip->linkedClipId);
    return nullptr;
}

// Curves are named after what the analyzer measured; a failed lips run still measured lips when faces showed.
bool measuredLips(const render::SyncReport* report) {
    if (!report || report->method == render::SyncMethod::Lips) return true;
    return report->method == render::SyncMethod::None && report->faceFraction >= render::kMinFaceFraction;
}

// The loudest sample in [first, end), clamped to the samples there are.
float peakBetween(const std::vector<float>& samples, int64_t first, int64_t end) {
    const auto size = int64_t(samples.size());
    float peak = 0;
    for (int64_t i = std::max<int64_t>(first, 0); i < std::min(end, size); ++i)
        peak = std::max(peak, std::abs(samples[size_t(i)]));
    return peak;
}

} // namespace

SyncResult measureSync(const QString& mediaPath, double startSeconds, double lengthSeconds) {
    SyncResult out;
    const std::string path = mediaPath.toStdString();
    try {
        out.report = render::analyseSync(path);
        out.samples = render::decodeAudio(path, kSyncSampleRate, 1);
    } catch (const std::exception& e) {
        out.report.reset();
        out.error = QString::fromStdString(e.what());
        return out;
    }
    try {
        out.film = decodeFilm(path, *out.report, startSeconds, lengthSeconds);
    } catch (const std::exception&) {
        // The filmstrip only illustrates; the measurement stands without it.
    }
    return out;
}

// --- SyncView

SyncView::SyncView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("syncView"));
    setToolTip(
        tr("Mouths, the sound (with the clip's nudge applied), the two signals the analyzer compared, "
           "and the offset measured each second (up: sound late, down: sound early; ±%1 ms full scale)")
            .arg(render::kMaxOffsetSeconds * 1000, 0, 'f', 0));
}

void SyncView::setResult(std::shared_ptr<const SyncResult> result) {
    result_ = std::move(result);
    update();
}

void SyncView::setRange(double startSeconds, double lengthSeconds, double audioDelayMs) {
    start_ = startSeconds;
    length_ = std::max(0.0, lengthSeconds);
    audioDelayMs_ = audioDelayMs;
    update();
}

QRect SyncView::plotRect() const {
    return rect().adjusted(kLabelWidth, 0, -kRightMargin, 0);
}

double SyncView::pixelsPerSecond() const {
    return std::max(1, plotRect().width()) / (length_ + kLeadSeconds);
}

double SyncView::xAt(double clipSeconds) const {
    return plotRect().left() + (clipSeconds + kLeadSeconds) * pixelsPerSecond();
}

double SyncView::secondsAt(double x) const {
    return (x - plotRect().left()) / pixelsPerSecond() - kLeadSeconds;
}

SyncView::Bands SyncView::bands() const {
    const QRect plot = plotRect();
    int y = 0;
    auto take = [&](int height) {
        const QRect band(plot.left(), y, plot.width(), height);
        y += height + kGap;
        return band;
    };
    Bands b;
    b.axis = take(kAxisHeight);
    b.film = take(kFilmHeight);
    b.wave = take(kWaveHeight);
    b.curves = take(kCurveHeight);
    b.drift = take(kDriftHeight);
    return b;
}

void SyncView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const Bands b = bands();
    const QRect bandsArea(b.film.topLeft(), b.drift.bottomRight());
    painter.fillRect(QRectF(QPointF(plotRect().left(), 0), QPointF(xAt(0), b.drift.bottom())),
                     palette().alternateBase()); // media before the clip
    drawAxis(painter, b);
    drawLabels(painter, b);
    const render::SyncReport* report = result_ && result_->report ? &*result_->report : nullptr;
    if (!report) {
        const QString hint =
            result_ ? result_->error : tr("Analyse to see the mouths, the sound and the drift");
        painter.setPen(palette().placeholderText().color());
        painter.drawText(bandsArea, Qt::AlignCenter | Qt::TextWordWrap, hint);
        return;
    }
    painter.save();
    painter.setClipRect(plotRect());
    painter.setRenderHint(QPainter::Antialiasing);
    drawFilm(painter, b.film);
    drawWaveform(painter, b.wave);
    drawShots(painter, b.wave);
    drawCurve(painter, b.curves, report->videoSignal, 0, kVideoColour);
    drawCurve(painter, b.curves, report->audioSignal, delaySeconds(), kAudioColour);
    drawDrift(painter, b.drift);
    painter.restore();
    painter.setPen(QPen(kZeroColour, 1));
    painter.drawLine(QPointF(xAt(0), b.axis.top()), QPointF(xAt(0), b.drift.bottom()));
}

// A tick every second; labels skip seconds where they would crowd.
void SyncView::drawAxis(QPainter& painter, const Bands& b) const {
    const int labelEvery = std::max(1, int(std::ceil(kMinTickSpacing / pixelsPerSecond())));
    painter.setPen(palette().mid().color());
    painter.drawLine(b.axis.bottomLeft(), b.axis.bottomRight());
    for (int second = 0; second <= int(std::floor(length_)); ++second) {
        const double x = xAt(second);
        painter.setPen(palette().mid().color());
        painter.drawLine(QPointF(x, b.axis.bottom() - 4), QPointF(x, b.drift.bottom()));
        if (second % labelEvery != 0 || x + kMinTickSpacing / 2 > b.axis.right()) continue;
        painter.setPen(palette().text().color());
        painter.drawText(QPointF(x + 2, b.axis.bottom() - 4), tr("%1 s").arg(second));
    }
}

void SyncView::drawLabels(QPainter& painter, const Bands& b) const {
    const render::SyncReport* report = result_ && result_->report ? &*result_->report : nullptr;
    const bool lips = measuredLips(report);
    auto label = [&](const QRect& band, int row, const QString& text, const QColor& colour) {
        const QRect area(kGap, band.top() + row * 16, kLabelWidth - 2 * kGap, 16);
        painter.setPen(colour);
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter, text);
    };
    const QColor text = palette().text().color();
    label(b.film, 0, lips ? tr("mouths") : tr("frames"), text);
    label(b.wave, 0, tr("sound"), text);
    label(b.curves, 0, lips ? tr("mouth") : tr("motion"), kVideoColour);
    label(b.curves, 1, lips ? tr("speech") : tr("onsets"), kAudioColour);
    label(b.drift, 0, tr("drift"), text);
}

// Each picture is centred on the time it stands for; where pictures would overlap (a long clip, a narrow
// view) the later ones are left out, so every picture shown is whole.
void SyncView::drawFilm(QPainter& painter, const QRect& band) const {
    double freeFrom = plotRect().left();
    for (const SyncFilmFrame& frame : result_->film) {
        const QImage& image = frame.image;
        if (image.height() <= 0) continue;
        const double width = image.width() * double(band.height()) / image.height();
        const double centre = xAt(frame.seconds - start_ + kFilmStepSeconds / 2);
        if (centre - width / 2 < freeFrom) continue;
        painter.drawImage(QRectF(centre - width / 2, band.top(), width, band.height()), image);
        freeFrom = centre + width / 2 + 1;
    }
}

// Peak levels per pixel column, of the sound as it plays: a delay moves it right.
QVector<float> SyncView::columnPeaks(int left, int right) const {
    QVector<float> peaks;
    for (int x = left; x <= right; ++x) {
        const double from = start_ + secondsAt(x) - delaySeconds();
        const double to = start_ + secondsAt(x + 1) - delaySeconds();
        const auto first = int64_t(std::floor(from * kSyncSampleRate));
        const auto end = std::max(first + 1, int64_t(std::floor(to * kSyncSampleRate)));
        peaks << peakBetween(result_->samples, first, end);
    }
    return peaks;
}

void SyncView::drawWaveform(QPainter& painter, const QRect& band) const {
    const QVector<float> peaks = columnPeaks(band.left(), band.right());
    const float loudest = peaks.isEmpty() ? 0.f : *std::max_element(peaks.begin(), peaks.end());
    if (loudest <= 0) return;
    const double middle = band.top() + band.height() / 2.0;
    painter.setPen(QPen(kWaveColour, 1));
    for (qsizetype i = 0; i < peaks.size(); ++i) {
        const double half = double(peaks[i]) / double(loudest) * band.height() / 2;
        const double x = band.left() + double(i) + 0.5;
        painter.drawLine(QPointF(x, middle - half), QPointF(x, middle + half));
    }
}

// A per-frame 0..1 signal over the band; `shiftSeconds` moves it later (the sound's delay).
void SyncView::drawCurve(QPainter& painter, const QRect& band, const std::vector<float>& signal,
                         double shiftSeconds, const QColor& colour) const {
    const double fps = result_->report->fps;
    if (fps <= 0 || signal.empty()) return;
    const double from = start_ - kLeadSeconds - shiftSeconds, to = start_ + length_ - shiftSeconds;
    const int64_t first = std::max<int64_t>(0, int64_t(std::floor(from * fps)));
    const int64_t last = std::min<int64_t>(int64_t(signal.size()) - 1, int64_t(std::ceil(to * fps)));
    QPolygonF line;
    for (int64_t i = first; i <= last; ++i) {
        const double x = xAt(double(i) / fps - start_ + shiftSeconds);
        line << QPointF(x, band.bottom() - double(signal[size_t(i)]) * band.height());
    }
    painter.setPen(QPen(colour, 1.5));
    painter.drawPolyline(line);
}

// One bar per window, at its centre: up = sound late, down = early, ±kMaxOffsetSeconds full scale.
void SyncView::drawDrift(QPainter& painter, const QRect& band) const {
    const double zero = band.top() + band.height() / 2.0;
    const double fullScaleMs = render::kMaxOffsetSeconds * 1000;
    const double barWidth = std::max(2.0, pixelsPerSecond() * 0.6);
    painter.setPen(palette().mid().color());
    painter.drawLine(QPointF(band.left(), zero), QPointF(band.right(), zero));
    for (const render::SyncWindow& window : result_->report->perSecond) {
        const double x = xAt(window.startSeconds + render::kDriftWindowSeconds / 2 - start_);
        if (!window.offsetMs) {
            painter.setPen(Qt::gray);
            painter.drawText(QRectF(x - 8, band.top(), 16, band.height()), Qt::AlignCenter,
                             QStringLiteral("–"));
            continue;
        }
        const double height = std::clamp(*window.offsetMs / fullScaleMs, -1.0, 1.0) * band.height() / 2;
        painter.fillRect(QRectF(x - barWidth / 2, std::min(zero, zero - height), barWidth, std::abs(height)),
                         kDriftColour);
    }
}

// The shots over the waveform: a dashed line at each cut, and each measured shot's offset as a level across
// it (up = its sound late, ±kMaxOffsetSeconds full scale) labelled in ms; a slipped shot in red.
void SyncView::drawShots(QPainter& painter, const QRect& band) const {
    const std::vector<render::ShotSync>& shots = result_->report->shots;
    if (shots.size() < 2 && (shots.empty() || !shots.front().offsetMs)) return;
    const double zero = band.top() + band.height() / 2.0;
    const double fullScaleMs = render::kMaxOffsetSeconds * 1000;
    for (const render::ShotSync& shot : shots) {
        const double left = xAt(shot.startSeconds - start_), right = xAt(shot.endSeconds - start_);
        if (shot.startSeconds > 0) {
            painter.setPen(QPen(palette().mid().color(), 1, Qt::DashLine));
            painter.drawLine(QPointF(left, band.top()), QPointF(left, band.bottom()));
        }
        if (!shot.offsetMs) continue;
        const QColor colour = shot.slipped ? kSlippedColour : kShotColour;
        const double y = zero - std::clamp(*shot.offsetMs / fullScaleMs, -1.0, 1.0) * band.height() / 2;
        painter.setPen(QPen(colour, 2));
        painter.drawLine(QPointF(left + 1, y), QPointF(right - 1, y));
        painter.drawText(QRectF(left + 3, y - 15, std::max(0.0, right - left - 6), 14),
                         Qt::AlignLeft | Qt::AlignVCenter, signedMs(*shot.offsetMs));
    }
}

// --- SyncPanel

SyncPanel::SyncPanel(timeline::Project& project, std::function<QString(const QString&)> resolveMedia,
                     QWidget* parent)
    : QWidget(parent), project_(project), resolveMedia_(std::move(resolveMedia)) {
    auto* layout = new QVBoxLayout(this);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("syncSummary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);
    view_ = new SyncView(this);
    layout->addWidget(view_, 1);
    buildActions(layout);
    buildNudges(layout);
    listener_ = project_.addChangeListener([this] { projectChanged(); });
    refresh();
}

SyncPanel::~SyncPanel() {
    project_.removeChangeListener(listener_);
}

QPushButton* SyncPanel::addButton(const QString& text, const QString& name, const QString& tip) {
    auto* button = new QPushButton(text, this);
    button->setObjectName(name);
    button->setToolTip(tip);
    return button;
}

void SyncPanel::buildActions(QBoxLayout* layout) {
    analyse_ = addButton(tr("Analyse"), QStringLiteral("syncAnalyse"),
                         tr("Measure how far the clip's sound is from its picture (in the background)"));
    connect(analyse_, &QPushButton::clicked, this, &SyncPanel::analyse);
    fix_ = addButton(tr("Fix"), QStringLiteral("syncFix"),
                     tr("Move the sound so the measured offset, with this clip's nudge, becomes 0"));
    connect(fix_, &QPushButton::clicked, this, [this] { fix(); });
    fixShot_ = addButton(
        tr("Fix slipped shot"), QStringLiteral("syncFixShot"),
        tr("One shot's sound is off against the rest of the clip (an edit slipped it): cut the clip at "
           "that shot's ends and move its sound alone"));
    connect(fixShot_, &QPushButton::clicked, this, [this] { fixShot(); });
    dub_ = addButton(tr("Regenerate picture (dub)"), QStringLiteral("syncDub"),
                     tr("Queue a dub job: the clip's picture is regenerated to match its sound"));
    connect(dub_, &QPushButton::clicked, this, [this] { Q_EMIT dubRequested(clipId_); });
    auto* actions = new QHBoxLayout;
    for (QPushButton* button : {analyse_, fix_, fixShot_, dub_})
        actions->addWidget(button);
    actions->addStretch(1);
    layout->addLayout(actions);
}

void SyncPanel::buildNudges(QBoxLayout* layout) {
    struct Nudge {
        const char* text;
        const char* name;
        const char* tip;
        double frames, ms; // the nudge: whole frames plus milliseconds
    };
    const Nudge nudges[] = {
        {"−1 frame", "syncNudgeBackFrame", "The sound one frame earlier", -1, 0},
        {"+1 frame", "syncNudgeForwardFrame", "The sound one frame later", 1, 0},
        {"−10 ms", "syncNudgeBackMs", "The sound 10 ms earlier", 0, -10},
        {"+10 ms", "syncNudgeForwardMs", "The sound 10 ms later", 0, 10},
    };
    const QString sign = tr(" (a positive nudge makes the audio later; one undo step each)");
    auto* row = new QHBoxLayout;
    for (const Nudge& n : nudges) {
        QPushButton* button = addButton(tr(n.text), QString::fromLatin1(n.name), tr(n.tip) + sign);
        connect(button, &QPushButton::clicked, this,
                [this, n] { nudge(n.frames * 1000 / sequenceFps() + n.ms); });
        row->addWidget(button);
        nudges_ << button;
    }
    row->addStretch(1);
    layout->addLayout(row);
}

void SyncPanel::setClip(Id clipId) {
    if (clipId == clipId_) return;
    clipId_ = clipId;
    clearResult();
    refresh();
}

// Forgets the result and any run under way (its result will be dropped when it arrives).
void SyncPanel::clearResult() {
    result_.reset();
    resultFile_.clear();
    running_ = nullptr;
    view_->setResult(nullptr);
}

void SyncPanel::analyse() {
    if (busy()) return;
    const QString file = mediaFile();
    if (file.isEmpty()) {
        Q_EMIT statusMessage(clipId_ ? tr("The clip's media is offline: there is nothing to analyse.")
                                     : tr("Select a clip with picture and sound"));
        return;
    }
    const timeline::Clip* clip = project_.state().clip(clipId_);
    const double fps = sequenceFps();
    const double start = double(clip->sourceIn) / fps, length = double(clip->length) / fps;
    clearResult();
    resultFile_ = file;
    auto* watcher = new QFutureWatcher<std::shared_ptr<const SyncResult>>(this);
    running_ = watcher;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] { finishRun(watcher); });
    watcher->setFuture(QtConcurrent::run([file, start, length] {
        return std::make_shared<const SyncResult>(measureSync(file, start, length));
    }));
    refresh();
}

void SyncPanel::finishRun(QFutureWatcher<std::shared_ptr<const SyncResult>>* watcher) {
    watcher->deleteLater();
    if (watcher != running_) return; // the clip or its media changed meanwhile
    running_ = nullptr;
    result_ = watcher->result();
    view_->setResult(result_);
    if (!result_->error.isEmpty())
        Q_EMIT statusMessage(tr("Cannot analyse the clip: %1").arg(result_->error));
    refresh();
    Q_EMIT analysed();
}

bool SyncPanel::nudge(double deltaMs) {
    const timeline::EditResult result = project_.requestNudgeAudio(clipId_, deltaMs);
    if (!result.ok) Q_EMIT statusMessage(tr("Cannot nudge the sound: %1").arg(result.reason));
    return result.ok;
}

bool SyncPanel::fix() {
    const std::optional<render::SyncReport>& measured = report();
    if (!measured || !measured->offsetMs) {
        Q_EMIT statusMessage(tr("Nothing to fix: the offset has not been measured."));
        return false;
    }
    const double move = -(*measured->offsetMs + audioDelayMs());
    if (std::abs(move) < kInSyncMs) {
        Q_EMIT statusMessage(tr("The sound is already in sync."));
        return true;
    }
    const timeline::EditResult result = project_.requestCompound(
        tr("Fix lip-sync"), [this, move] { return project_.requestNudgeAudio(clipId_, move); });
    Q_EMIT statusMessage(result.ok ? tr("Sound moved %1 to match the picture").arg(signedMs(move))
                                   : tr("Cannot fix the sync: %1").arg(result.reason));
    return result.ok;
}

std::optional<size_t> SyncPanel::slippedShot() const {
    const std::optional<render::SyncReport>& measured = report();
    const timeline::Clip* clip = project_.state().clip(clipId_);
    if (!measured || !clip) return std::nullopt;
    const double fps = sequenceFps();
    const double from = double(clip->sourceIn) / fps, to = double(clip->sourceOut()) / fps;
    for (size_t i = 0; i < measured->shots.size(); ++i) {
        const render::ShotSync& shot = measured->shots[i];
        if (shot.slipped && shot.offsetMs && shot.endSeconds > from && shot.startSeconds < to) return i;
    }
    return std::nullopt;
}

bool SyncPanel::fixShot() {
    const std::optional<size_t> index = slippedShot();
    if (!index) {
        Q_EMIT statusMessage(tr("No shot of this clip is slipped against the others."));
        return false;
    }
    const render::ShotSync shot = report()->shots[*index];
    const timeline::Clip clip = *project_.state().clip(clipId_);
    const double fps = sequenceFps();
    // The shot's ends in sequence frames, within the clip.
    auto sequenceFrame = [&](double mediaSeconds) {
        return std::clamp<qint64>(clip.position + qint64(std::llround(mediaSeconds * fps)) - clip.sourceIn,
                                  clip.position, clip.end());
    };
    // A shot's end within kSnapSeconds of the clip's is the clip's: no sliver is cut off there.
    const auto snap = qint64(std::ceil(kSnapSeconds * fps));
    qint64 first = sequenceFrame(shot.startSeconds), end = sequenceFrame(shot.endSeconds);
    if (first - clip.position <= snap) first = clip.position;
    if (clip.end() - end <= snap) end = clip.end();
    const double move = -(*shot.offsetMs + audioDelayMs());
    const Id trackId = project_.state().trackOfClip(clip.id)->id;
    const timeline::EditResult result = project_.requestCompound(tr("Fix a slipped shot's lip-sync"), [&] {
        if (first > clip.position)
            if (timeline::EditResult r = project_.requestSplit(clip.id, first); !r.ok) return r;
        // The piece that starts at the shot (the clip itself when the shot opens it).
        const timeline::Track* track = project_.state().track(trackId);
        Id piece = 0;
        for (const timeline::Clip& c : track->clips)
            if (c.position == first) piece = c.id;
        if (!piece) return timeline::EditResult::failure(tr("the shot's start is not a cut in the clip"));
        if (end < project_.state().clip(piece)->end())
            if (timeline::EditResult r = project_.requestSplit(piece, end); !r.ok) return r;
        return project_.requestNudgeAudio(piece, move);
    });
    Q_EMIT statusMessage(
        result.ok
            ? tr("The shot at %1 s: sound moved %2").arg(shot.startSeconds, 0, 'f', 2).arg(signedMs(move))
            : tr("Cannot fix the shot: %1").arg(result.reason));
    return result.ok;
}

// A clip that went away is dropped; one that now shows other media (another take) loses its result.
void SyncPanel::projectChanged() {
    if (clipId_ && !project_.state().clip(clipId_)) {
        setClip(0);
        return;
    }
    if (!resultFile_.isEmpty() && mediaFile() != resultFile_) clearResult();
    refresh();
}

void SyncPanel::refresh() {
    const timeline::Clip* clip = project_.state().clip(clipId_);
    const double fps = sequenceFps();
    if (clip)
        view_->setRange(double(clip->sourceIn) / fps, double(clip->length) / fps, audioDelayMs());
    else
        view_->setRange(0, 0, 0);
    summary_->setText(summaryText());
    updateButtons();
}

void SyncPanel::updateButtons() {
    const bool hasClip = project_.state().clip(clipId_) != nullptr;
    analyse_->setEnabled(hasClip && !busy());
    analyse_->setText(busy() ? tr("Analysing…") : tr("Analyse"));
    for (QPushButton* button : std::as_const(nudges_))
        button->setEnabled(hasSound());
    fix_->setEnabled(hasSound() && report() && report()->offsetMs.has_value());
    const std::optional<size_t> slipped = slippedShot();
    fixShot_->setVisible(slipped.has_value());
    fixShot_->setEnabled(hasSound() && slipped.has_value());
    if (slipped)
        fixShot_->setText(tr("Fix the shot at %1 s (%2)")
                              .arg(report()->shots[*slipped].startSeconds, 0, 'f', 1)
                              .arg(signedMs(*report()->shots[*slipped].offsetMs)));
    dub_->setEnabled(hasClip);
}

const std::optional<render::SyncReport>& SyncPanel::report() const {
    static const std::optional<render::SyncReport> none;
    return result_ ? result_->report : none;
}

QString SyncPanel::summary() const {
    return summaryText();
}

QString SyncPanel::summaryText() const {
    if (!project_.state().clip(clipId_)) return tr("Select a clip with picture and sound");
    if (busy()) return tr("Analysing…");
    if (!result_) return tr("Analyse to measure how far the sound is from the picture.");
    if (!result_->report) return tr("Cannot analyse: %1").arg(result_->error);
    return reportSummary(*result_->report, audioDelayMs(), sequenceFps());
}

QString SyncPanel::mediaFile() const {
    const timeline::ProjectState& state = project_.state();
    const timeline::Clip* clip = state.clip(clipId_);
    const QString relative = clip ? state.mediaPathOfClip(*clip) : QString();
    return relative.isEmpty() ? QString() : resolveMedia_(relative);
}

// The rate of the clip's own sequence: source frames are counted in it.
double SyncPanel::sequenceFps() const {
    const timeline::ProjectState& state = project_.state();
    const timeline::Track* track = state.trackOfClip(clipId_);
    const timeline::Sequence* sequence = track ? state.sequenceOfTrack(track->id) : nullptr;
    return (sequence ? sequence->time : project_.sequence().time).fps.toDouble();
}

double SyncPanel::audioDelayMs() const {
    const timeline::Clip* sound = soundClip(project_.state(), clipId_);
    return sound ? sound->audioDelayMs : 0;
}

bool SyncPanel::hasSound() const {
    return soundClip(project_.state(), clipId_) != nullptr;
}

} // namespace tandem::ui
