#include "ui/main_window.h"

#include "render/media_error.h"
#include "render/probe.h"
#include "ui/model_words_dialog.h"
#include "ui/playback.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QVBoxLayout>

#include <cmath>

namespace tandem::ui {

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Tandem"));
    resize(1280, 800);

    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    viewer_ = new Viewer(centre);
    layout->addWidget(viewer_, 1);
    auto* transport = new QHBoxLayout();
    playButton_ = new QPushButton(tr("Play"), centre);
    playButton_->setObjectName(QStringLiteral("playButton"));
    transport->addStretch();
    transport->addWidget(playButton_);
    transport->addStretch();
    layout->addLayout(transport);
    setCentralWidget(centre);

    timeline_ = new TimelineView(project_, previews_, this);
    auto* dock = new QDockWidget(tr("Timeline"), this);
    dock->setObjectName(QStringLiteral("timelineDock"));
    dock->setWidget(timeline_);
    addDockWidget(Qt::BottomDockWidgetArea, dock);

    playback_ = new Playback(project_, options.useAudioDevice, this);
    connect(playButton_, &QPushButton::clicked, playback_, &Playback::togglePlay);
    connect(playback_, &Playback::stateChanged, this,
            [this](bool playing) { playButton_->setText(playing ? tr("Pause") : tr("Play")); });
    connect(playback_, &Playback::frameShown, this, [this](qint64 frame, const QImage& image) {
        viewer_->setImage(image);
        showFrame(frame);
    });
    connect(timeline_, &TimelineView::seekRequested, playback_, &Playback::seekToFrame);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open media…"), QKeySequence::Open, this, &MainWindow::chooseMedia);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    modelDir_ = options.modelDir;
    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    modelMenu->addAction(tr("Prompt &words the model knows…"), this, &MainWindow::showModelWords);

    status_ = new QLabel(this);
    statusBar()->addPermanentWidget(status_);
    status_->setText(tr("Audio: not started"));
    showFrame(0);
}

MainWindow::~MainWindow() = default;

void MainWindow::showModelWords() {
    auto* dialog = new ModelWordsDialog(modelDir_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

bool MainWindow::openMedia(const QString& path, QString* error) {
    render::MediaInfo info;
    try {
        info = render::probe(path.toStdString());
    } catch (const render::MediaError& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    timeline::Asset asset;
    asset.path = QFileInfo(path).absoluteFilePath();
    asset.label = QFileInfo(path).fileName();
    asset.duration = info.duration;
    if (const auto* v = info.firstVideo()) {
        asset.hasVideo = true;
        asset.width = v->width;
        asset.height = v->height;
        asset.fps = v->fps;
    }
    asset.hasAudio = info.firstAudio() != nullptr;
    const timeline::Id id = project_.addAsset(asset);
    const auto result = project_.requestInsertAsset(id, project_.sequence().duration());
    if (!result.ok) {
        if (error) *error = result.reason;
        return false;
    }
    previews_.insert(id, buildPreview(asset.path));
    playback_->rebuild();
    timeline_->update();
    status_->setText(tr("Audio: %1").arg(playback_->audioStatus()));
    return true;
}

void MainWindow::chooseMedia() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open media"));
    if (path.isEmpty()) return;
    QString error;
    if (!openMedia(path, &error)) QMessageBox::warning(this, tr("Cannot open media"), error);
}

void MainWindow::showFrame(qint64 frame) {
    const auto& time = project_.sequence().time;
    const int fps = int(std::lround(time.fps.toDouble()));
    const qint64 total = project_.sequence().duration();
    auto tc = [&](qint64 f) {
        const qint64 s = f / fps;
        auto two = [](qint64 v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
        return QStringLiteral("%1:%2:%3:%4").arg(two(s / 3600), two(s / 60 % 60), two(s % 60), two(f % fps));
    };
    viewer_->setTimecode(QStringLiteral("%1 / %2").arg(tc(frame), tc(total)));
    timeline_->setPlayhead(frame);
}

void MainWindow::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space) {
        playback_->togglePlay();
        return;
    }
    QMainWindow::keyPressEvent(e);
}

} // namespace tandem::ui
