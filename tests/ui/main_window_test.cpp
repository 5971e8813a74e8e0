// The editor window, constructed for real under Qt's offscreen platform.
#define CATCH_CONFIG_RUNNER
#include "support/test_media.h"
#include "render/probe.h"
#include "ui/export_dialog.h"
#include "ui/main_window.h"
#include "ui/media_asset.h"
#include "ui/model_words_dialog.h"
#include "ui/playback.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"
#include "model/installed_models.h"

#include <QApplication>
#include <QComboBox>
#include <QMenu>
#include <QStandardItemModel>
#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUndoStack>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTest>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace tandem;

namespace {

std::string movie(int frames = 32) {
    const std::string path = test::freshTempDir("ui") + "/shot.mp4";
    test::writeTestMovie(path, {64, 48, frames, 16.0, 16000});
    return path;
}

ui::MainWindowOptions silent() {
    ui::MainWindowOptions o;
    o.useAudioDevice = false;
    // Preferences and layout go to a file of this test run, never to the user's settings.
    o.settingsFile = QString::fromStdString(test::freshTempDir("uisettings")) + QStringLiteral("/tandem.ini");
    return o;
}

} // namespace

TEST_CASE("the window shows an opened clip on the timeline and in the viewer") {
    ui::MainWindow w(silent());
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    QString error;
    REQUIRE(w.openMedia(QString::fromStdString(movie()), &error));
    const auto& seq = w.project().sequence();
    REQUIRE(seq.tracks.size() == 2);
    REQUIRE(seq.tracks[0].clips.size() == 1);
    REQUIRE(seq.tracks[1].clips.size() == 1);
    CHECK(seq.tracks[0].clips[0].length == 64); // 2 s at the sequence's 32 fps
    CHECK(seq.tracks[0].clips[0].linkedClipId == seq.tracks[1].clips[0].id);
    CHECK(w.project().consistencyError().isEmpty());

    // The viewer shows frame 0: the test movie's first grey level.
    const QImage shown = w.viewer().image();
    REQUIRE_FALSE(shown.isNull());
    CHECK(std::abs(qGray(shown.pixel(shown.width() / 2, shown.height() / 2)) - test::testMovieLevel(0)) <= 3);

    // The timeline paints the clip where clipRect says.
    const QRect r = w.timelineView().clipRect(0, seq.tracks[0].clips[0]);
    CHECK(r.width() == int(64 * w.timelineView().pixelsPerFrame()));
    const QImage painted = w.timelineView().grab().toImage();
    CHECK(painted.pixelColor(r.center()) != painted.pixelColor(QPoint(r.right() + 40, r.center().y())));
}

TEST_CASE("clicking the timeline seeks, and playback advances on the audio clock") {
    ui::MainWindow w(silent());
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(movie())));
    auto& tl = w.timelineView();
    const QRect r = tl.clipRect(0, w.project().sequence().tracks[0].clips[0]);
    // Sequence frame 32 (1 s) is source frame 16 of the 16 fps test movie.
    QTest::mouseClick(&tl, Qt::LeftButton, {}, QPoint(r.left() + int(32 * tl.pixelsPerFrame()) + 1, 10));
    CHECK(w.playback().currentFrame() == 32);
    CHECK(tl.playhead() == 32);
    const QImage shown = w.viewer().image(); // the sequence's frame: the movie fitted inside it
    CHECK(std::abs(qGray(shown.pixel(shown.width() / 2, shown.height() / 2)) - test::testMovieLevel(16)) <= 3);

    w.playback().seekToFrame(0);
    QTest::mouseClick(w.findChild<QPushButton*>(QStringLiteral("playButton")), Qt::LeftButton);
    CHECK(w.playback().playing());
    QTest::qWait(400);
    const qint64 frame = w.playback().currentFrame();
    CHECK(frame >= 6);  // ≈ 12 frames after 0.4 s at 32 fps; generous for a loaded machine
    CHECK(frame <= 40);
    QTest::keyClick(&w, Qt::Key_Space);
    CHECK_FALSE(w.playback().playing());
}

TEST_CASE("J, K and L shuttle: each press faster, the other way starts at 1x, K stops") {
    ui::MainWindow w(silent());
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(movie())));
    w.playback().seekToFrame(32);
    QTest::keyClick(&w, Qt::Key_L);
    CHECK(w.playback().playing());
    CHECK(w.playback().speed() == 1);
    QTest::keyClick(&w, Qt::Key_L);
    CHECK(w.playback().speed() == 2);
    QTest::keyClick(&w, Qt::Key_L);
    QTest::keyClick(&w, Qt::Key_L); // 4× is the fastest
    CHECK(w.playback().speed() == 4);
    QTest::keyClick(&w, Qt::Key_J);
    CHECK(w.playback().speed() == -1);
    QTest::qWait(300);
    CHECK(w.playback().currentFrame() < 40); // went backwards (or at most a few frames on at the start)
    QTest::keyClick(&w, Qt::Key_K);
    CHECK_FALSE(w.playback().playing());
    CHECK(w.playback().speed() == 1);
}

TEST_CASE("File > Export > Shotcut / Kdenlive project writes MLT XML with the media beside it") {
    ui::MainWindow w(silent());
    REQUIRE(w.openMedia(QString::fromStdString(movie())));
    auto* menu = w.findChild<QMenu*>(QStringLiteral("exportMenu"));
    REQUIRE(menu);
    QStringList items;
    for (QAction* a : menu->actions()) items << a->text();
    CHECK(items.join(QLatin1Char('|')).contains(QStringLiteral("Shotcut / Kdenlive")));
    REQUIRE(w.project().requestSetOpacity(w.project().sequence().tracks[0].clips[0].id, 0.5).ok);
    const QString dir = QString::fromStdString(test::freshTempDir("uimlt"));
    QString error;
    const auto warnings = w.exportEditorProject(dir + QStringLiteral("/cut.mlt"), &error);
    INFO(error.toStdString());
    REQUIRE(warnings);
    CHECK(warnings->isEmpty());
    const std::string xml = test::readFile((dir + QStringLiteral("/cut.mlt")).toStdString());
    const QString media = QFileInfo(QString::fromStdString(movie())).fileName();
    CHECK(xml.find(("cut-media/" + media).toStdString()) != std::string::npos);
    CHECK(xml.find("<property name=\"alpha\">0.5</property>") != std::string::npos);
    CHECK(QFileInfo::exists(dir + QStringLiteral("/cut-media/") + media));
    // A folder that cannot be written says why and leaves nothing.
    CHECK_FALSE(w.exportEditorProject(QStringLiteral("/proc/cut.mlt"), &error));
    CHECK_FALSE(error.isEmpty());
}

TEST_CASE("a still image comes in as five seconds of picture, and a dissolve blends into it") {
    const std::string png = test::freshTempDir("uistill") + "/still.png";
    REQUIRE(std::system(("ffmpeg -v error -y -f lavfi -i color=c=white:size=64x48 -frames:v 1 " + png).c_str()) == 0);
    ui::MainWindow w(silent());
    REQUIRE(w.openMedia(QString::fromStdString(movie())));
    REQUIRE(w.openMedia(QString::fromStdString(png)));
    const auto& video = w.project().sequence().tracks[0];
    REQUIRE(video.clips.size() == 2);
    CHECK(video.clips[1].length == qint64(ui::kStillSeconds * 32));
    CHECK(w.project().sequence().tracks[1].clips.size() == 1); // no sound came with it
    REQUIRE(w.project().requestSetDissolve(video.clips[1].id, 16).ok);
    auto centre = [&](qint64 frame) {
        w.playback().seekToFrame(frame);
        const QImage shown = w.viewer().image();
        return qGray(shown.pixel(shown.width() / 2, shown.height() / 2));
    };
    CHECK(centre(100) > 250);                                               // the still
    // Before the dissolve; frame 55 is 27.5 frames into the 16 fps movie: the nearest, ties to the later (as MLT).
    CHECK(std::abs(centre(55) - test::testMovieLevel(28)) <= 4);
    const int middle = centre(64);                                          // halfway through it
    CHECK(middle > test::testMovieLevel(31) + 40);
    CHECK(middle < 250);
}

TEST_CASE("unreadable media is refused and the project stays empty") {
    ui::MainWindow w(silent());
    const std::string bad = test::freshTempDir("uibad") + "/bad.mp4";
    std::FILE* f = std::fopen(bad.c_str(), "wb");
    std::fputs("garbage", f);
    std::fclose(f);
    QString error;
    CHECK_FALSE(w.openMedia(QString::fromStdString(bad), &error));
    CHECK(error.contains(QStringLiteral("bad.mp4")));
    CHECK(w.project().state().assets.isEmpty());
    CHECK(w.project().sequence().tracks[0].clips.isEmpty());
}

TEST_CASE("opening media is one step on the editor's undo stack, and undo takes it back") {
    ui::MainWindow w(silent());
    QString error;
    REQUIRE(w.openMedia(QString::fromStdString(movie()), &error));
    // The media now live inside the project's bundle, named relative to it.
    REQUIRE(w.project().state().assets.size() == 1);
    const QString path = w.project().state().assets[0].path;
    CHECK(path == QStringLiteral("media/shot.mp4"));
    CHECK(QFileInfo::exists(w.bundleDir() + QLatin1Char('/') + path));
    // Its waveform was cached in the bundle, so reopening the project will not decode it again.
    CHECK(QDir(w.bundleDir() + QStringLiteral("/cache/waveforms")).entryList({QStringLiteral("*.peaks")}).size() == 1);
    REQUIRE(w.undoStack().count() == 1);
    CHECK(w.undoStack().undoText().startsWith(QStringLiteral("Import")));
    w.undoStack().undo();
    CHECK(w.project().state().assets.isEmpty());
    CHECK(w.project().sequence().tracks[0].clips.isEmpty());
    w.undoStack().redo();
    CHECK(w.project().sequence().tracks[0].clips.size() == 1);
    CHECK(w.project().consistencyError().isEmpty());
    // The Edit menu's actions drive the same stack.
    QAction* undo = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(QKeySequence::Undo)) undo = a;
    REQUIRE(undo);
    REQUIRE(undo->isEnabled());
    undo->trigger();
    CHECK(w.project().sequence().tracks[0].clips.isEmpty());
}

TEST_CASE("a project saves as a bundle, reopens, and offers autosaved edits for recovery") {
    const QString dir = QString::fromStdString(test::freshTempDir("ui-project"));
    QString error;
    {
        ui::MainWindow w(silent());
        REQUIRE(w.openMedia(QString::fromStdString(movie()), &error));
        REQUIRE(w.saveProject(dir + QStringLiteral("/Scene"), &error));
        CHECK(w.windowTitle().startsWith(QStringLiteral("Scene")));
        CHECK(QFileInfo::exists(dir + QStringLiteral("/Scene.tandem/project.json")));
        CHECK(QFileInfo::exists(dir + QStringLiteral("/Scene.tandem/media/shot.mp4")));
        // An edit after saving, written by autosave only (as if the editor then crashed).
        const auto& clips = w.project().sequence().tracks[0].clips;
        REQUIRE(w.undoStack().count() >= 1);
        timeline::Project edited(w.project().state()); // stands in for the session that then crashed
        REQUIRE(edited.requestMove(clips[0].id, 32).ok);
        timeline::Autosaver autosave(edited, dir + QStringLiteral("/Scene.tandem"));
        REQUIRE(edited.requestMove(clips[0].id, 40).ok);
        REQUIRE(autosave.flush(&error));
    }
    int asked = 0;
    auto options = silent();
    options.askRecovery = [&](const QDateTime&, const QDateTime&) { return ++asked, true; };
    ui::MainWindow w(options);
    REQUIRE(w.openProject(dir + QStringLiteral("/Scene.tandem"), &error));
    CHECK(asked == 1);
    CHECK(w.project().sequence().tracks[0].clips[0].position == 40); // the recovered edit
    auto centre = [&] {
        const QImage shown = w.viewer().image();
        return qGray(shown.pixel(shown.width() / 2, shown.height() / 2));
    };
    CHECK(centre() == 0); // frame 0 is black now: the clip starts at 40
    w.playback().seekToFrame(40);
    CHECK(std::abs(centre() - test::testMovieLevel(0)) <= 3); // its media resolve inside the reopened bundle

    // Declining keeps the saved version and sets the autosave aside.
    options.askRecovery = [&](const QDateTime&, const QDateTime&) { return ++asked, false; };
    ui::MainWindow declined(options);
    REQUIRE(declined.openProject(dir + QStringLiteral("/Scene.tandem"), &error));
    CHECK(asked == 2);
    CHECK(declined.project().sequence().tracks[0].clips[0].position == 0);
    CHECK(QFileInfo::exists(dir + QStringLiteral("/Scene.tandem/recovery.discarded.json")));

    // A damaged recovery file is set aside and the saved project opens.
    {
        QFile damaged(dir + QStringLiteral("/Scene.tandem/recovery.json"));
        REQUIRE(damaged.open(QIODevice::WriteOnly));
        damaged.write("{ truncated");
    }
    options.askRecovery = [&](const QDateTime&, const QDateTime&) { return ++asked, true; };
    ui::MainWindow damagedRecovery(options);
    REQUIRE(damagedRecovery.openProject(dir + QStringLiteral("/Scene.tandem"), &error));
    CHECK(asked == 3);
    CHECK(damagedRecovery.project().sequence().tracks[0].clips[0].position == 0);

    // Not a project: refused, and the open project stays.
    CHECK_FALSE(declined.openProject(dir + QStringLiteral("/Nothing"), &error));
    CHECK(error.contains(QStringLiteral("not a Tandem project")));
    CHECK(declined.project().sequence().tracks[0].clips.size() == 1);
}

TEST_CASE("the model's known prompt words are listed, and a typed prompt's unknown words are named") {
    ui::ModelWordsDialog dialog(QStringLiteral(TANDEM_DEMO_MODEL_DIR));
    CHECK_FALSE(dialog.wordList()->findItems(QStringLiteral("bounces"), Qt::MatchExactly).isEmpty());
    QTest::keyClicks(dialog.promptEdit(), QStringLiteral("a red dragon bounces <S>zorp<E>"));
    CHECK(dialog.verdictLabel()->text().contains(QStringLiteral("dragon")));
    CHECK_FALSE(dialog.verdictLabel()->text().contains(QStringLiteral("zorp"))); // dialogue is speech, not scenery
    dialog.promptEdit()->setText(QStringLiteral("a red circle bounces"));
    CHECK(dialog.verdictLabel()->text().contains(QStringLiteral("Every word")));

    ui::ModelWordsDialog none(QStringLiteral("/nonexistent/model"));
    CHECK_FALSE(none.promptEdit()->isEnabled());
    CHECK(none.wordList()->count() == 0);
}

TEST_CASE("installed models are listed under Model, and choosing LTX-2.3 keeps every task and says it takes no references") {
    namespace fs = std::filesystem;
    const fs::path models = test::freshTempDir("models");
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    // An LTX-2.3 model as a user installs it: its file and its Gemma folder as text_encoder/.
    fs::create_directories(models / "ltx-tiny");
    fs::copy_file(fixtures + "/ltx-tiny.safetensors", models / "ltx-tiny" / "ltx-tiny.safetensors");
    fs::copy(fixtures + "/gemma", models / "ltx-tiny" / "text_encoder", fs::copy_options::recursive);
    // A half-copied one (no text encoder yet) is not offered.
    fs::create_directories(models / "half-copied");
    fs::copy_file(fixtures + "/ltx-tiny.safetensors", models / "half-copied" / "ltx.safetensors");

    auto o = silent();
    o.modelDir = QStringLiteral(TANDEM_DEMO_MODEL_DIR);
    o.modelSearchDirs = {QString::fromStdString(models.string())};
    ui::MainWindow w(o);
    auto* menu = w.findChild<QMenu*>(QStringLiteral("modelMenu"));
    REQUIRE(menu);
    Q_EMIT menu->aboutToShow();
    QAction* demo = nullptr;
    QAction* ltx = nullptr;
    for (QAction* a : menu->actions()) {
        if (a->text() == QStringLiteral("demo")) demo = a;
        if (a->text().startsWith(QStringLiteral("ltx-tiny"))) ltx = a;
        CHECK_FALSE(a->text().contains(QStringLiteral("half-copied")));
    }
    REQUIRE(demo);
    REQUIRE(ltx);
    CHECK(demo->isChecked());
    CHECK(ltx->text().contains(QStringLiteral("LTX-2.3")));

    auto* task = w.findChild<QComboBox*>(QStringLiteral("genTask"));
    REQUIRE(task);
    auto* items = qobject_cast<QStandardItemModel*>(task->model());
    REQUIRE(items);
    const int dub = task->findData(QStringLiteral("dub")), generate = task->findData(QStringLiteral("generate"));
    CHECK(items->item(dub)->isEnabled());
    task->setCurrentIndex(dub);

    ltx->trigger();
    // LTX-2.3 runs every task: the one in use stays chosen. It takes no references: their list says why.
    CHECK(items->item(dub)->isEnabled());
    CHECK(items->item(generate)->isEnabled());
    CHECK(task->currentIndex() == dub);
    auto* references = w.findChild<QWidget*>(QStringLiteral("genReferences"));
    REQUIRE(references);
    CHECK_FALSE(references->isEnabled());
    CHECK(references->toolTip().contains(QStringLiteral("LoRAs")));
    Q_EMIT menu->aboutToShow(); // the menu is rebuilt: the new model is the checked one
    for (QAction* a : menu->actions())
        if (a->text().startsWith(QStringLiteral("ltx-tiny"))) CHECK(a->isChecked());
    ui::ModelWordsDialog words(QString::fromStdString((models / "ltx-tiny").string()));
    CHECK(words.wordList()->count() == 0);
    CHECK_FALSE(words.promptEdit()->isEnabled());

    // Back to the demo model: every task again.
    for (QAction* a : menu->actions())
        if (a->text() == QStringLiteral("demo")) a->trigger();
    CHECK(items->item(dub)->isEnabled());
    CHECK(references->isEnabled());

    // A model folder may say how its engine runs (size, rate, the distilled checkpoint's fixed steps).
    const auto ltxDir = (models / "ltx-tiny").string();
    CHECK(model::ltxEngineArgsFor(ltxDir).empty());
    std::ofstream(models / "ltx-tiny" / "tandem.json") << R"({"size": "32x16", "fps": 12, "distilled": true})";
    CHECK(model::ltxEngineArgsFor(ltxDir) ==
          std::vector<std::string>{"--size", "32x16", "--fps", "12", "--distilled"});
    std::ofstream(models / "ltx-tiny" / "tandem.json") << R"({"size": 32})";
    CHECK_THROWS_WITH(model::ltxEngineArgsFor(ltxDir), Catch::Contains("tandem.json"));

    // The data folders follow XDG.
    qputenv("XDG_DATA_HOME", "/tmp/tandem-xdg-home");
    qputenv("XDG_DATA_DIRS", "/opt/a:/opt/b");
    const auto dirs = model::modelSearchDirs();
    CHECK(dirs == std::vector<std::string>{"/tmp/tandem-xdg-home/tandem/models", "/opt/a/tandem/models",
                                           "/opt/b/tandem/models"});
    qunsetenv("XDG_DATA_HOME");
    qunsetenv("XDG_DATA_DIRS");
}

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    return Catch::Session().run(argc, argv);
}

TEST_CASE("the export dialog renders the sequence on a worker thread, and a cancelled export leaves nothing") {
    ui::MainWindow w(silent());
    REQUIRE(w.openMedia(QString::fromStdString(movie())));
    const QString dir = QString::fromStdString(test::freshTempDir("uiexport"));
    ui::ExportDialog* dialog = w.openExportDialog();
    REQUIRE(dialog);
    dialog->setOutputPath(dir + QStringLiteral("/out.mp4"));
    dialog->setPreset(QStringLiteral("360p"));
    dialog->setLoudness(true, -16);
    bool done = false, ok = false;
    QObject::connect(dialog, &ui::ExportDialog::exportFinished, [&](bool success, const QString&) { done = true, ok = success; });
    QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("exportButton")), Qt::LeftButton);
    CHECK(dialog->running());
    // Editing goes on while it renders; the export keeps the project as it was when it started.
    REQUIRE(w.project().requestMove(w.project().sequence().tracks[0].clips[0].id, 10).ok);
    QElapsedTimer timer;
    timer.start();
    while (!done && timer.elapsed() < 60000) QTest::qWait(20);
    INFO(dialog->statusText().toStdString());
    REQUIRE(done);
    CHECK(ok);
    CHECK(dialog->statusText().contains(QStringLiteral("LUFS")));
    const auto info = render::probe((dir + QStringLiteral("/out.mp4")).toStdString());
    REQUIRE(info.firstVideo());
    CHECK(info.firstVideo()->width == 640);
    CHECK(info.firstVideo()->duration == Approx(2.0).margin(1.0 / 32)); // 64 frames: the move came later

    // Cancelled at once: the file never appears.
    done = false;
    dialog->setOutputPath(dir + QStringLiteral("/never.mov"));
    dialog->startExport();
    dialog->cancelExport();
    timer.restart();
    while (!done && timer.elapsed() < 60000) QTest::qWait(20);
    REQUIRE(done);
    CHECK_FALSE(ok);
    CHECK(dialog->statusText().contains(QStringLiteral("nothing was written")));
    CHECK_FALSE(QFileInfo::exists(dir + QStringLiteral("/never.mov")));
    // I and O mark a zone on the timeline; the dialog offers it as the range and exports just that.
    w.playback().seekToFrame(16);
    QTest::keyClick(&w, Qt::Key_I);
    w.playback().seekToFrame(47);
    QTest::keyClick(&w, Qt::Key_O);
    CHECK(w.zone() == std::pair<qint64, qint64>(16, 48));
    ui::ExportDialog* ranged = w.openExportDialog();
    ranged->setOutputPath(dir + QStringLiteral("/zone.mp4"));
    ranged->setPreset(QStringLiteral("360p"));
    done = false;
    QObject::connect(ranged, &ui::ExportDialog::exportFinished, [&](bool success, const QString&) { done = true, ok = success; });
    ranged->startExport();
    timer.restart();
    while (!done && timer.elapsed() < 60000) QTest::qWait(20);
    REQUIRE(done);
    CHECK(ok);
    CHECK(render::probe((dir + QStringLiteral("/zone.mp4")).toStdString()).firstVideo()->duration == Approx(1.0).margin(1.0 / 32));

    // A name without a movie suffix is refused before anything starts.
    dialog->setOutputPath(dir + QStringLiteral("/x.avi"));
    dialog->startExport();
    CHECK_FALSE(dialog->running());
    CHECK(dialog->statusText().contains(QStringLiteral(".mp4")));
}

TEST_CASE("S splits at the playhead, Delete lifts the selected clip, Shift+Delete ripples, undo takes it back") {
    ui::MainWindow w(silent());
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(movie()))); // 64 frames, picture and sound linked
    auto& tl = w.timelineView();
    auto clips = [&](int track) { return w.project().sequence().tracks[track].clips; };
    w.playback().seekToFrame(24);
    QTest::keyClick(&w, Qt::Key_S);
    REQUIRE(clips(0).size() == 2);
    REQUIRE(clips(1).size() == 2); // the sound split with its picture
    CHECK(clips(0)[1].position == 24);
    CHECK(w.project().consistencyError().isEmpty());

    // Select the first clip by clicking it, and lift it: a gap stays.
    const QRect first = tl.clipRect(0, clips(0)[0]);
    QTest::mouseClick(&tl, Qt::LeftButton, {}, first.center());
    CHECK(tl.selectedClip() == clips(0)[0].id);
    QTest::keyClick(&w, Qt::Key_Delete);
    CHECK(clips(0).size() == 1);
    CHECK(clips(1).size() == 1); // its linked sound went too
    CHECK(clips(0)[0].position == 24);
    CHECK(tl.selectedClip() == 0);
    w.undoStack().undo(); // Edit ▸ Undo
    REQUIRE(clips(0).size() == 2);

    // Ripple delete of the first: the rest closes up to frame 0.
    QTest::mouseClick(&tl, Qt::LeftButton, {}, tl.clipRect(0, clips(0)[0]).center());
    QTest::keyClick(&w, Qt::Key_Delete, Qt::ShiftModifier);
    REQUIRE(clips(0).size() == 1);
    CHECK(clips(0)[0].position == 0);
    CHECK(w.project().sequence().duration() == 40);
    CHECK(w.project().consistencyError().isEmpty());
    // With nothing selected, Delete does nothing.
    QTest::keyClick(&w, Qt::Key_Delete);
    CHECK(clips(0).size() == 1);
}
