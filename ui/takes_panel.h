// Design note: the takes of a generated shot, for the clip selected on the timeline. The panel reads the
// project (the shot's takes, which one the clip shows, which are stale because their inputs changed since
// they were made) and refreshes on every project change; choosing a take is one Project request, so it is one
// undo step and a refusal comes back as a status message. Comparing takes is only asked for
// (compareRequested): whoever can decode frames shows them, e.g. in a TakeCompareView.
#pragma once

#include "timeline/project.h"

#include <QImage>
#include <QPair>
#include <QWidget>

class QLabel;
class QPainter;
class QListWidget;
class QPushButton;

namespace tandem::ui {

// "T2 · inpaint · seed 42 · 2026-05-01 14:03": the take's number within its shot, task, seed and when.
QString takeLabel(const timeline::ProjectState& state, timeline::Id takeId);

class TakesPanel : public QWidget {
    Q_OBJECT
public:
    explicit TakesPanel(timeline::Project& project, QWidget* parent = nullptr);
    ~TakesPanel() override;

    void setClip(timeline::Id clipId); // 0 = none
    timeline::Id clip() const { return clipId_; }
    // The takes listed, in order, and the selected ones (for tests and the compare view).
    QList<timeline::Id> listedTakes() const;
    QList<timeline::Id> selectedTakes() const;
    void selectTakes(const QList<timeline::Id>& takeIds);
    bool useTake(timeline::Id takeId); // the clip (and its linked partner) shows it; one undo step
    bool compareSelected();            // emits compareRequested when the selection names two takes

Q_SIGNALS:
    void compareRequested(timeline::Id takeA, timeline::Id takeB);
    void statusMessage(const QString& text);

private:
    void refresh();
    void updateButtons();
    void useSelected();
    timeline::Id currentTake() const;                      // the take the clip shows now
    QPair<timeline::Id, timeline::Id> comparePair() const; // {0, 0} when there is nothing to compare

    timeline::Project& project_;
    int listener_ = 0;
    timeline::Id clipId_ = 0;
    QLabel* caption_ = nullptr;
    QListWidget* list_ = nullptr;
    QPushButton* use_ = nullptr;
    QPushButton* compare_ = nullptr;
};

// Two frames side by side, each letterboxed in its half, labelled underneath.
class TakeCompareView : public QWidget {
    Q_OBJECT
public:
    explicit TakeCompareView(QWidget* parent = nullptr);
    void setImages(const QImage& a, const QString& labelA, const QImage& b, const QString& labelB);
    QSize sizeHint() const override { return {720, 260}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    void drawSide(QPainter& painter, const QRect& area, const QImage& image, const QString& label) const;

    QImage a_, b_;
    QString labelA_, labelB_;
};

} // namespace tandem::ui
