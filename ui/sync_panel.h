// Design note: the lip-sync preview for the clip selected on the timeline. Analyse runs, off the UI thread,
// render::analyseSync on the clip's media file, decodes its sound at 8 kHz for a waveform and crops the mouth
// out of a frame every quarter second; the result (for the whole file) comes back as one immutable
// SyncResult. SyncView draws the clip's source range of it on one time axis — mouth filmstrip, waveform, the
// two signals the analyzer correlated, per-second drift — with the sound shifted by the clip's audioDelayMs,
// so a nudge shows at once. Over the waveform, the analyzer's shots: their cuts and each shot's own offset
// as a step curve (a slipped shot in red), so an edit that moved one shot's sound stands out. Nudges and Fix
// are Project requests (one undo step each); the panel repaints from the project on every change, so undo
// moves the sound back on screen too.
#pragma once

#include "render/lipsync.h"
#include "timeline/project.h"

#include <QFutureWatcher>
#include <QImage>
#include <QList>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QBoxLayout;
class QLabel;
class QPainter;
class QPushButton;

namespace tandem::ui {

// The waveform's rate: plenty for peaks a pixel wide, and an hour of it is only 115 MB.
inline constexpr int kSyncSampleRate = 8000;

// One picture of the filmstrip: the mouth (or, with no face, the whole frame) at `seconds` of media time.
struct SyncFilmFrame {
    double seconds = 0;
    QImage image;
};

// What one analysis produced, all in media time; shared read-only between the panel and its view.
struct SyncResult {
    std::optional<render::SyncReport> report; // nullopt when the analysis failed (see error)
    std::vector<float> samples;               // the sound, mono at kSyncSampleRate
    QList<SyncFilmFrame> film;                // the clip's range at analysis time, in order
    QString error;                            // why it failed; empty on success
};

// The worker's whole job: analyse `mediaPath`, decode its sound and the filmstrip for media seconds
// [startSeconds, startSeconds + lengthSeconds). Never throws; failures come back in `error`.
SyncResult measureSync(const QString& mediaPath, double startSeconds, double lengthSeconds);

// Mouths, waveform, signals and drift of one clip over its source range.
class SyncView : public QWidget {
    Q_OBJECT
public:
    explicit SyncView(QWidget* parent = nullptr);

    void setResult(std::shared_ptr<const SyncResult> result); // nullptr: nothing measured
    // The clip's source range of the media, and how much later than its frames its sound plays.
    void setRange(double startSeconds, double lengthSeconds, double audioDelayMs);
    QSize sizeHint() const override { return {720, 250}; }
    QSize minimumSizeHint() const override { return {320, 250}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    struct Bands {
        QRect axis, film, wave, curves, drift;
    };
    Bands bands() const;
    QRect plotRect() const;
    double xAt(double clipSeconds) const;
    double secondsAt(double x) const;
    double pixelsPerSecond() const;
    double delaySeconds() const { return audioDelayMs_ / 1000; }
    void drawAxis(QPainter& painter, const Bands& b) const;
    void drawLabels(QPainter& painter, const Bands& b) const;
    void drawFilm(QPainter& painter, const QRect& band) const;
    void drawWaveform(QPainter& painter, const QRect& band) const;
    QVector<float> columnPeaks(int left, int right) const;
    void drawCurve(QPainter& painter, const QRect& band, const std::vector<float>& signal,
                   double shiftSeconds, const QColor& colour) const;
    void drawDrift(QPainter& painter, const QRect& band) const;
    void drawShots(QPainter& painter, const QRect& band) const;

    std::shared_ptr<const SyncResult> result_;
    double start_ = 0, length_ = 0, audioDelayMs_ = 0;
};

class SyncPanel : public QWidget {
    Q_OBJECT
public:
    // `resolveMedia` turns a bundle-relative media path into a file that can be opened.
    SyncPanel(timeline::Project& project, std::function<QString(const QString& bundleRelative)> resolveMedia,
              QWidget* parent = nullptr);
    ~SyncPanel() override;

    void setClip(timeline::Id clipId); // 0 = none; a different clip drops the old result
    timeline::Id clip() const { return clipId_; }
    void analyse(); // in the background; analysed() when it is shown
    bool busy() const { return running_ != nullptr; }
    // Nudges the sound so the measured offset, with the clip's delay, becomes 0; one undo step.
    bool fix();
    // The first shot the analysis found slipped against the rest of the clip (within the clip's range).
    std::optional<size_t> slippedShot() const;
    // Fixes that shot alone: the clip is cut at the shot's ends and that piece's sound moved by its own
    // offset; one undo step.
    bool fixShot();
    bool nudge(double deltaMs); // positive: the sound later; one undo step

    const std::optional<render::SyncReport>& report() const;
    QString summary() const;

Q_SIGNALS:
    void statusMessage(const QString& text);
    void dubRequested(timeline::Id clipId);
    void analysed();

private:
    void buildActions(QBoxLayout* layout); // Analyse, Fix, Fix shot, Dub
    void buildNudges(QBoxLayout* layout);
    QPushButton* addButton(const QString& text, const QString& name, const QString& tip);
    void projectChanged();
    void refresh();
    void updateButtons();
    void clearResult();
    void finishRun(QFutureWatcher<std::shared_ptr<const SyncResult>>* watcher);
    QString mediaFile() const; // the selected clip's file; empty when none or offline
    double sequenceFps() const;
    double audioDelayMs() const;
    bool hasSound() const;
    QString summaryText() const;

    timeline::Project& project_;
    std::function<QString(const QString&)> resolveMedia_;
    int listener_ = 0;
    timeline::Id clipId_ = 0;
    std::shared_ptr<const SyncResult> result_;
    QString resultFile_; // the file result_ (or the run under way) is for
    QFutureWatcher<std::shared_ptr<const SyncResult>>* running_ = nullptr; // the run whose result counts
    QLabel* summary_ = nullptr;
    SyncView* view_ = nullptr;
    QPushButton* analyse_ = nullptr;
    QPushButton* fix_ = nullptr;
    QPushButton* fixShot_ = nullptr;
    QPushButton* dub_ = nullptr;
    QList<QPushButton*> nudges_;
};

} // namespace tandem::ui
