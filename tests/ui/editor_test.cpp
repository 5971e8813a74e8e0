// The editor as a creator uses it: a demo project edited with the mouse and keys, a mask painted stroke by
// stroke, generations on a tiny model landing as takes, the engine killed mid-job, and the remembered layout.
#include "support/talking_face.h"
#include "support/test_media.h"
#include "support/tiny_model.h"
#include "timeline/mask.h"
#include "model/config.h"
#include "model/engine_client.h"
#include "model/remote.h"
#include "render/probe.h"
#include "ui/bins_panel.h"
#include "ui/export_dialog.h"
#include "ui/generation_panel.h"
#include "ui/job_panel.h"
#include "ui/main_window.h"
#include "ui/mask_canvas.h"
#include "ui/mask_panel.h"
#include "ui/playback.h"
#include "ui/preferences.h"
#include "ui/sync_panel.h"
#include "ui/takes_panel.h"
#include "ui/timeline_view.h"
#include "ui/viewer.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QFile>
#include <QFileInfo>
#include <QMimeData>
#include <QPushButton>
#include <QTest>
#include <QTreeWidget>
#include <QRegularExpression>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace tandem;

namespace {

std::string clipFile(const std::string& dir, const std::string& name, int frames) {
    const std::string path = dir + "/" + name;
    test::writeTestMovie(path, {64, 48, frames, 16.0, 16000});
    return path;
}

ui::MainWindowOptions options(const QString& settings = {}) {
    ui::MainWindowOptions o;
    o.useAudioDevice = false;
    o.settingsFile = settings.isEmpty() ? QString::fromStdString(test::freshTempDir("editorsettings")) + QStringLiteral("/tandem.ini")
                                        : settings;
    return o;
}

// The tiny model in the real engine process, on one CPU thread: a generation takes well under a second a step.
ui::EngineSettings tinyEngine() {
    static const QString config = [] {
        const std::string dir = test::freshTempDir("editorengine");
        std::ofstream(dir + "/tiny.json") << test::tinyModelConfig().toJson();
        return QString::fromStdString(dir + "/tiny.json");
    }();
    ui::EngineSettings e;
    e.program = QStringLiteral(TANDEM_ENGINE);
    e.configPath = config;
    e.device = QStringLiteral("cpu");
    e.threads = 1;
    return e;
}

// A saved project of three clips (2 s, 1 s, 2 s) on V1/A1, as a creator's demo project would be.
QString demoProject() {
    const std::string dir = test::freshTempDir("editordemo");
    ui::MainWindow w(options());
    for (auto [name, frames] : {std::pair{"a.mp4", 32}, std::pair{"b.mp4", 16}, std::pair{"c.mp4", 32}})
        REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, name, frames))));
    const QString bundle = QString::fromStdString(dir) + QStringLiteral("/demo.tandem");
    QString error;
    REQUIRE(w.saveProject(bundle, &error));
    return bundle;
}

const ui::JobInfo* waitForJob(ui::MainWindow& w, const QString& id, int timeoutMs = 90000) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const ui::JobInfo* j = w.jobs().job(id);
        if (j && j->finished()) return j;
        QTest::qWait(50);
    }
    return w.jobs().job(id);
}

void check(const ui::MainWindow& w) { REQUIRE(w.project().consistencyError().isEmpty()); }

// The clips of every track of the first sequence, in order.
QList<QList<timeline::Clip>> clipsOf(const timeline::ProjectState& s) {
    QList<QList<timeline::Clip>> out;
    for (const auto& t : s.sequences.front().tracks) out.append(t.clips);
    return out;
}

} // namespace

TEST_CASE("the demo project opens — a clip is dragged, split, ripple-deleted, and undo restores each step") {
    const QString bundle = demoProject();
    ui::MainWindow w(options());
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    QString error;
    REQUIRE(w.openProject(bundle, &error));
    const auto clips = [&] { return w.project().sequence().tracks[0].clips; };
    REQUIRE(clips().size() == 3);
    const timeline::ProjectState opened = w.project().state();
    auto& tl = w.timelineView();
    tl.setSnapping(false);

    // Drag the last clip 20 frames right: it and its sound move, a gap opens before it.
    const timeline::Clip last = clips()[2];
    const QRect r = tl.clipRect(0, last);
    REQUIRE(tl.dragForTest(r.center(), r.center() + QPoint(int(20 * tl.pixelsPerFrame()), 0)));
    CHECK(clips()[2].position == last.position + 20);
    CHECK(w.project().sequence().tracks[1].clips[2].position == last.position + 20);
    check(w);

    // S splits the selected clip at the playhead.
    tl.select(clips()[0].id);
    w.playback().seekToFrame(40);
    QTest::keyClick(&w, Qt::Key_S);
    REQUIRE(clips().size() == 4);
    CHECK(clips()[1].position == 40);
    check(w);

    // Shift+Delete ripple-deletes the selected clip: what follows closes up.
    const qint64 before = clips()[2].position;
    tl.select(clips()[1].id);
    QTest::keyClick(&w, Qt::Key_Delete, Qt::ShiftModifier);
    REQUIRE(clips().size() == 3);
    CHECK(clips()[1].position == before - 24);
    check(w);

    // Undo walks back through every step to the project as opened.
    REQUIRE(w.undoStack().count() == 3);
    for (int i = 0; i < 3; ++i) {
        w.undoStack().undo();
        check(w);
    }
    CHECK(clipsOf(w.project().state()) == clipsOf(opened));
}

TEST_CASE("a painted stroke becomes the clip's mask raster, undoably, and the eraser takes part of it back") {
    const std::string dir = test::freshTempDir("editormask");
    ui::MainWindow w(options());
    w.resize(1280, 800);
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));
    w.playback().seekToFrame(10);
    auto* paint = w.maskPanel().findChild<QPushButton*>(QStringLiteral("maskPaintToggle"));
    REQUIRE(paint);
    paint->click();
    ui::MaskCanvas& canvas = w.maskCanvas();
    REQUIRE(canvas.isActive());
    const timeline::Id clip = w.project().sequence().tracks[0].clips[0].id;
    REQUIRE(canvas.clipId() == clip);
    CHECK(canvas.sourceFrame() == 10);

    // A horizontal stroke across the middle of the picture.
    const QRect pic = w.viewer().pictureRect();
    REQUIRE(pic.width() > 100);
    canvas.paintStrokeForTest({QPointF(pic.left() + pic.width() * 0.2, pic.center().y()),
                               QPointF(pic.left() + pic.width() * 0.5, pic.center().y()),
                               QPointF(pic.left() + pic.width() * 0.8, pic.center().y())});
    const timeline::Clip* c = w.project().state().clip(clip);
    REQUIRE(c->maskId);
    const timeline::Mask* mask = w.project().state().mask(c->maskId);
    REQUIRE(mask);
    REQUIRE(mask->keyframes.size() == 1);
    CHECK(mask->keyframes[0].frame == 10);
    const timeline::MaskRaster raster = timeline::rasteriseMask(*mask, 10, 64, 48);
    CHECK(raster.at(32, 24) == 255); // on the stroke
    CHECK(raster.at(16, 24) == 255);
    CHECK(raster.at(32, 4) == 0);    // far above it
    CHECK(raster.at(2, 24) == 0);    // before it starts
    // The overlay shows the same shape.
    const QImage& overlay = canvas.overlay();
    REQUIRE_FALSE(overlay.isNull());
    CHECK(qAlpha(overlay.pixel(overlay.width() / 2, overlay.height() / 2)) > 0);
    CHECK(qAlpha(overlay.pixel(overlay.width() / 2, 2)) == 0);

    // The eraser clears where it passes; each stroke is its own undo step.
    canvas.setTool(ui::MaskCanvas::Tool::Eraser);
    canvas.paintStrokeForTest({QPointF(pic.center().x(), pic.top() + 2), QPointF(pic.center().x(), pic.bottom() - 2)});
    const timeline::Mask* erased = w.project().state().mask(c->maskId);
    CHECK(timeline::rasteriseMask(*erased, 10, 64, 48).at(32, 24) == 0);
    CHECK(timeline::rasteriseMask(*erased, 10, 64, 48).at(16, 24) == 255);
    w.undoStack().undo();
    CHECK(timeline::rasteriseMask(*w.project().state().mask(c->maskId), 10, 64, 48).at(32, 24) == 255);
    w.undoStack().undo(); // the first stroke (and the mask it made)
    CHECK(w.project().state().clip(clip)->maskId == 0);
    QTest::qWait(10);
    CHECK(qAlpha(canvas.overlay().pixel(canvas.overlay().width() / 2, canvas.overlay().height() / 2)) == 0);
    check(w);
}

TEST_CASE("generations on a tiny model land as takes: a new shot, then an inpaint that replaces it with take 2") {
    const std::string dir = test::freshTempDir("editorgen");
    ui::MainWindowOptions o = options();
    o.engine = tinyEngine();
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));
    const qint64 mediaLength = w.project().sequence().duration();

    // Generate: the form's spec, placed at the playhead (the end of the sequence).
    ui::GenerationSpec spec;
    spec.task = QStringLiteral("generate");
    spec.prompt = QStringLiteral("a ball bounces");
    spec.seconds = 0.5;
    spec.steps = 2;
    spec.randomSeed = false;
    spec.seed = 7;
    spec.placement = ui::TakePlacement::Insert;
    w.generationPanel().setSpec(spec);
    w.playback().seekToFrame(mediaLength); // clamps to the last frame
    w.timelineView().setPlayhead(mediaLength);
    QString error;
    const QString first = w.submitGeneration(&error);
    REQUIRE(error.isEmpty());
    REQUIRE_FALSE(first.isEmpty());
    const ui::JobInfo* job = waitForJob(w, first);
    REQUIRE(job);
    INFO(job->error.toStdString());
    REQUIRE(job->state == ui::JobState::Done);
    CHECK(job->total == 2);
    check(w);

    const auto& s = w.project().state();
    REQUIRE(s.takes.size() == 1);
    const timeline::Take take = s.takes[0];
    CHECK(take.seed == 7);
    CHECK(QFileInfo::exists(w.bundleDir() + QLatin1Char('/') + take.output));
    const timeline::Clip* landed = nullptr;
    for (const auto& c : w.project().sequence().tracks[0].clips)
        if (c.takeId == take.id) landed = &c;
    REQUIRE(landed);
    CHECK(landed->position == mediaLength);
    CHECK(w.timelineView().selectedClip() == landed->id);
    // The new shot looks like media: a thumbnail in the bins and along its clip, a waveform under it.
    const ui::MediaPreview* shown = w.preview(landed->assetId);
    REQUIRE(shown);
    CHECK_FALSE(shown->thumbnail.isNull());
    CHECK_FALSE(shown->peaks.isEmpty());
    const qint64 firstThumbnail = shown->thumbnail.cacheKey();

    // Inpaint the generated clip (a mask over its left half), replacing it: the shot gets a second take.
    const timeline::Id clipId = landed->id;
    const auto masked = w.project().requestCompound(QStringLiteral("mask"), [&] {
        const auto m = w.project().requestCreateMask(clipId);
        if (!m.ok) return m;
        timeline::Stroke fill;
        fill.fill = true;
        fill.points = {QPointF(0, 0), QPointF(0.5, 0), QPointF(0.5, 1), QPointF(0, 1)};
        return w.project().requestPaintStroke(m.newId, w.project().state().clip(clipId)->sourceIn, fill);
    });
    REQUIRE(masked.ok);
    spec.task = QStringLiteral("inpaint");
    spec.sourceClipId = clipId;
    spec.placement = ui::TakePlacement::ReplaceClip;
    w.generationPanel().setSpec(spec);
    w.generationPanel().setSourceClip(clipId);
    const QString second = w.submitGeneration(&error);
    REQUIRE_FALSE(second.isEmpty());
    job = waitForJob(w, second);
    INFO(job->error.toStdString());
    REQUIRE(job->state == ui::JobState::Done);
    check(w);
    const timeline::Clip* replaced = w.project().state().clip(clipId);
    REQUIRE(replaced);
    REQUIRE(w.project().state().takes.size() == 2);
    CHECK(replaced->takeId == w.project().state().takes[1].id);
    REQUIRE(w.preview(replaced->assetId));
    CHECK(w.preview(replaced->assetId)->thumbnail.cacheKey() != firstThumbnail); // take 2's own frame
    CHECK(w.project().state().takes[1].parentTakeId == take.id);
    CHECK(w.project().state().takes[1].inputs.maskId == replaced->maskId);
    CHECK_FALSE(w.project().state().isStale(*replaced));

    // The takes panel lists both; switching back is one undo step.
    w.takesPanel().setClip(clipId);
    CHECK(w.takesPanel().listedTakes().size() == 2);
    REQUIRE(w.takesPanel().useTake(take.id));
    CHECK(w.project().state().clip(clipId)->takeId == take.id);
    w.undoStack().undo();
    CHECK(w.project().state().clip(clipId)->takeId != take.id);

    // A job the project cannot serve is refused before it reaches the engine.
    spec.task = QStringLiteral("retake");
    spec.windowStart = spec.windowEnd = 0;
    CHECK(w.jobs().submit(spec, &error).isEmpty());
    CHECK(error.contains(QStringLiteral("window")));
}

TEST_CASE("an LTX-2.3 model makes a take in the editor through the engine process, and refuses what it cannot do") {
    namespace fs = std::filesystem;
    const std::string dir = test::freshTempDir("editorltx");
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    // Installed as a user installs it: the tiny checkpoint, its Gemma folder, and how its engine runs.
    const fs::path model = fs::path(dir) / "ltx-tiny";
    fs::create_directories(model);
    fs::copy_file(fixtures + "/ltx-tiny.safetensors", model / "ltx-tiny.safetensors");
    fs::copy(fixtures + "/gemma", model / "text_encoder", fs::copy_options::recursive);
    std::ofstream(model / "tandem.json") << R"({"size": "32x16", "fps": 16})";

    ui::MainWindowOptions o = options();
    ui::EngineSettings e;
    e.program = QStringLiteral(TANDEM_ENGINE);
    e.modelDir = QString::fromStdString(model.string());
    e.device = QStringLiteral("cpu");
    e.threads = 1;
    o.engine = e;
    o.modelDir = e.modelDir;
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));

    // What LTX-2.3 cannot do yet (references) fails at once with the reason, before any engine work; the
    // project is untouched.
    const quint64 revision = w.project().revision();
    REQUIRE_FALSE(w.project().sequence().tracks.empty());
    REQUIRE_FALSE(w.project().sequence().tracks[0].clips.empty());
    ui::GenerationSpec withReference;
    withReference.task = QStringLiteral("generate");
    withReference.prompt = QStringLiteral("a red circle");
    withReference.seconds = 1.0;
    withReference.referenceAssetIds = {w.project().sequence().tracks[0].clips[0].assetId};
    QString error;
    const QString refused = w.jobs().submit(withReference, &error);
    REQUIRE_FALSE(refused.isEmpty());
    const ui::JobInfo* failed = waitForJob(w, refused);
    REQUIRE(failed);
    CHECK(failed->state == ui::JobState::Failed);
    CHECK(failed->error.contains(QStringLiteral("references are not ported")));
    CHECK(w.project().revision() == revision);

    ui::GenerationSpec spec;
    spec.task = QStringLiteral("generate");
    spec.prompt = QStringLiteral("a red circle and a blue wall");
    spec.seconds = 1.0;
    spec.steps = 2;
    spec.randomSeed = false;
    spec.seed = 3;
    spec.placement = ui::TakePlacement::Insert;
    w.generationPanel().setSpec(spec);
    error.clear();
    const QString id = w.submitGeneration(&error);
    INFO(error.toStdString());
    REQUIRE(error.isEmpty());
    const ui::JobInfo* job = waitForJob(w, id);
    REQUIRE(job);
    INFO(job->error.toStdString());
    REQUIRE(job->state == ui::JobState::Done);
    CHECK(job->total == 2);
    check(w);
    REQUIRE(w.project().state().takes.size() == 1);
    const timeline::Take take = w.project().state().takes[0];
    const auto info = render::probe((w.bundleDir() + QLatin1Char('/') + take.output).toStdString());
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstAudio()->duration > 0.5); // LTX-2.3's sound came with its pictures
}

TEST_CASE("killing the engine mid-job fails the job, leaves the project untouched, and a retry works") {
    const std::string dir = test::freshTempDir("editorkill");
    ui::MainWindowOptions o = options();
    o.engine = tinyEngine();
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));
    const quint64 revision = w.project().revision();
    const timeline::ProjectState before = w.project().state();

    ui::GenerationSpec spec;
    spec.prompt = QStringLiteral("a long shot");
    spec.seconds = 2;
    spec.steps = 400; // long enough to be killed in the middle
    QString error;
    const QString id = w.jobs().submit(spec, &error);
    REQUIRE_FALSE(id.isEmpty());
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000 && w.jobs().job(id)->step < 1) QTest::qWait(20);
    REQUIRE(w.jobs().job(id)->step >= 1);
    const qint64 pid = w.jobs().enginePid();
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid_t(pid), SIGKILL) == 0);

    const ui::JobInfo* job = waitForJob(w, id);
    REQUIRE(job->state == ui::JobState::Failed);
    CHECK(job->error.contains(QStringLiteral("signal 9")));
    CHECK(w.project().revision() == revision); // the project never saw the engine die
    CHECK(clipsOf(w.project().state()) == clipsOf(before));
    CHECK(w.isVisible());

    // The job queue panel shows the failure; the engine comes back and a retry with few steps succeeds.
    auto* list = w.jobPanel().findChild<QTreeWidget*>(QStringLiteral("jobList"));
    REQUIRE(list);
    CHECK(list->topLevelItemCount() == 1);
    t.restart();
    while (t.elapsed() < 60000 && (w.jobs().enginePid() == 0 || w.jobs().enginePid() == pid)) QTest::qWait(50);
    CHECK(w.jobs().enginePid() != pid);
    spec.steps = 2;
    spec.seconds = 0.5;
    const QString again = w.jobs().submit(spec, &error);
    job = waitForJob(w, again);
    INFO(job->error.toStdString());
    CHECK(job->state == ui::JobState::Done);
    check(w);

    // Cancel stops a running job at its next step; nothing lands.
    const int takes = int(w.project().state().takes.size());
    spec.steps = 400;
    const QString long_ = w.jobs().submit(spec, &error);
    t.restart();
    while (t.elapsed() < 60000 && w.jobs().job(long_)->step < 1) QTest::qWait(20);
    w.jobs().cancel(long_);
    job = waitForJob(w, long_);
    CHECK(job->state == ui::JobState::Cancelled);
    CHECK(job->step < 400);
    CHECK(int(w.project().state().takes.size()) == takes);
}

// The tiny model in an engine serving TLS on loopback, as a GPU machine would serve editors elsewhere.
// `port` 0 takes a free one; the certificate and token in `identity` stay the same across restarts.
std::unique_ptr<model::EngineClient> remoteEngine(const std::string& dir, int port, QString* line) {
    const std::string identity = dir + "/identity";
    std::filesystem::remove(identity + "/pairing");
    model::EngineLaunch l;
    l.program = TANDEM_ENGINE;
    l.socketPath = dir + "/engine-" + std::to_string(port) + ".sock";
    l.configPath = tinyEngine().configPath.toStdString();
    l.device = "cpu";
    l.threads = 1;
    l.extraArgs = {"--listen", "127.0.0.1:" + std::to_string(port), "--identity", identity, "--spool", dir + "/spool"};
    auto engine = model::EngineClient::launch(l);
    for (int i = 0; i < 250 && !std::filesystem::exists(identity + "/pairing"); ++i) QTest::qWait(20);
    std::ifstream in(identity + "/pairing");
    std::string text;
    std::getline(in, text);
    *line = QString::fromStdString(text);
    return engine;
}

TEST_CASE("an engine on another machine: the editor makes takes through it, and after its restart resubmits once") {
    const std::string dir = test::freshTempDir("editorremote");
    QString line;
    auto engine = remoteEngine(dir, 0, &line);
    const auto address = model::remote::parsePairingLine(line.toStdString());
    ui::MainWindowOptions o = options();
    o.engine = tinyEngine();
    o.engine->remote = line;
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));

    ui::GenerationSpec spec;
    spec.prompt = QStringLiteral("a ball over the network");
    spec.seconds = 0.5;
    spec.steps = 2;
    QString error;
    const ui::JobInfo* job = waitForJob(w, w.jobs().submit(spec, &error));
    INFO(job->error.toStdString());
    REQUIRE(job->state == ui::JobState::Done);
    CHECK(w.project().state().takes.size() == 1);
    CHECK(w.jobs().engineStatus().contains(QStringLiteral("round trip")));

    // The engine there is killed mid-job and started again on the same port: the job is sent again once.
    spec.steps = 150;
    spec.seconds = 2;
    const QString id = w.jobs().submit(spec, &error);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000 && w.jobs().job(id)->step < 1) QTest::qWait(20);
    REQUIRE(w.jobs().job(id)->step >= 1);
    REQUIRE(::kill(engine->pid(), SIGKILL) == 0);
    engine.reset();
    t.restart();
    while (t.elapsed() < 20000 && !w.jobs().engineStatus().contains(QStringLiteral("reconnecting"))) QTest::qWait(20);
    CHECK(w.jobs().engineStatus().contains(QStringLiteral("reconnecting")));
    QString again;
    auto restarted = remoteEngine(dir, address.port, &again);
    CHECK(again == line); // the same certificate and token: the editor's pin still holds
    job = waitForJob(w, id);
    INFO(job->error.toStdString());
    CHECK(job->state == ui::JobState::Done);
    CHECK(job->step == 150);
    CHECK(w.project().state().takes.size() == 2); // made once, not twice
    check(w);
}

TEST_CASE("Preferences take an engine on another machine and show its device, model and round trip") {
    const std::string dir = test::freshTempDir("prefsremote");
    QString line;
    auto engine = remoteEngine(dir, 0, &line);
    ui::Preferences current;
    ui::PreferencesDialog dialog(current);
    auto* where = dialog.findChild<QComboBox*>(QStringLiteral("prefEngineWhere"));
    auto* remote = dialog.findChild<QLineEdit*>(QStringLiteral("prefEngineRemote"));
    auto* test = dialog.findChild<QPushButton*>(QStringLiteral("prefEngineTest"));
    auto* info = dialog.findChild<QLabel*>(QStringLiteral("prefEngineInfo"));
    REQUIRE((where && remote && test && info));
    CHECK_FALSE(remote->isEnabled());
    where->setCurrentIndex(1);
    CHECK(remote->isEnabled());
    CHECK_FALSE(dialog.findChild<QComboBox*>(QStringLiteral("prefDevice"))->isEnabled());
    remote->setText(line);
    test->click();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 20000 && !info->text().contains(QStringLiteral("round trip"))) QTest::qWait(20);
    INFO(info->text().toStdString());
    CHECK(info->text().contains(QStringLiteral("cpu")));
    CHECK(info->text().contains(QStringLiteral("round trip")));
    CHECK(dialog.preferences().engineRemote == line);

    // A line with another certificate's fingerprint is refused, with the reason.
    QString wrong = line;
    wrong.replace(QRegularExpression(QStringLiteral("sha256=[0-9a-f]+")), QStringLiteral("sha256=") + QString(64, QLatin1Char('c')));
    remote->setText(wrong);
    test->click();
    t.restart();
    while (t.elapsed() < 20000 && !info->text().contains(QStringLiteral("not usable"))) QTest::qWait(20);
    CHECK(info->text().contains(QStringLiteral("not the paired")));
    where->setCurrentIndex(0);
    CHECK(dialog.preferences().engineRemote.isEmpty());
}

TEST_CASE("the generation panel names the prompt words the loaded model does not know") {
    ui::MainWindow w(options());
    ui::GenerationPanel& panel = w.generationPanel();
    panel.setModelDir(QStringLiteral(TANDEM_DEMO_MODEL_DIR));
    panel.setPrompt(QStringLiteral("a red circle bounces past a dragon; a face says <S>zorblat<E>"));
    CHECK(panel.unknownWords().contains(QStringLiteral("dragon")));
    CHECK_FALSE(panel.unknownWords().contains(QStringLiteral("circle")));
    CHECK_FALSE(panel.unknownWords().contains(QStringLiteral("zorblat"))); // dialogue is speech: any syllables go
    CHECK(panel.hintText().contains(QStringLiteral("dragon")));
    panel.setModelDir(QStringLiteral("/nonexistent/model"));
    CHECK(panel.hintText().contains(QStringLiteral("cannot be checked")));
}

TEST_CASE("loading a model puts the guidance it asks for in the generation panel, and a spec carries it") {
    // A copy of the demo model's words with a config that asks for picture guidance.
    const std::string dir = test::freshTempDir("guidedmodel");
    std::filesystem::copy_file(std::string(TANDEM_DEMO_MODEL_DIR) + "/tokenizer.json", dir + "/tokenizer.json");
    model::ModelConfig config = model::ModelConfig::fromJson(
        test::readFile(std::string(TANDEM_DEMO_MODEL_DIR) + "/config.json"));
    config.sampler.video_guidance = 4.5;
    config.sampler.audio_guidance = 1.0;
    config.sampler.tasks.clear();
    config.sampler.tasks["dub"] = model::GuidanceConfig{1.0, 1.0, 0.0};
    std::ofstream(dir + "/config.json") << config.toJson();

    ui::MainWindow w(options());
    ui::GenerationPanel& panel = w.generationPanel();
    auto* video = panel.findChild<QDoubleSpinBox*>(QStringLiteral("genVideoGuidance"));
    REQUIRE(video);
    panel.setModelDir(QString::fromStdString(dir));
    CHECK(video->value() == 4.5);
    CHECK(video->toolTip().contains(QStringLiteral("suggests 4.5")));
    CHECK(panel.spec().videoGuidance == 4.5);
    CHECK(panel.spec().audioGuidance == 1.0);
    // A task with its own entry shows (and sends) that; back on generate, the shared suggestion returns.
    panel.setTask(QStringLiteral("dub"));
    CHECK(video->value() == 1.0);
    CHECK(panel.spec().videoGuidance == 1.0);
    panel.setTask(QStringLiteral("generate"));
    CHECK(video->value() == 4.5);
    // A value the creator set stays when the task changes.
    video->setValue(6.0);
    panel.setTask(QStringLiteral("dub"));
    CHECK(video->value() == 6.0);
    panel.setTask(QStringLiteral("generate"));
    // A spec that leaves guidance unset (a queued dub, an old retry) shows the model's; a set one its own.
    ui::GenerationSpec unset = panel.spec();
    unset.videoGuidance.reset();
    video->setValue(2.0);
    panel.setSpec(unset);
    CHECK(video->value() == 4.5);
    unset.videoGuidance = 7.0;
    panel.setSpec(unset);
    CHECK(video->value() == 7.0);
    // Loading another model puts its own suggestion in the fields.
    panel.setModelDir(QStringLiteral(TANDEM_DEMO_MODEL_DIR));
    CHECK(video->value() ==
          model::ModelConfig::fromJson(test::readFile(std::string(TANDEM_DEMO_MODEL_DIR) + "/config.json")).sampler.video_guidance);
}

TEST_CASE("the window remembers its panel layout and recent projects — imports run with progress") {
    const QString settings = QString::fromStdString(test::freshTempDir("editorlayout")) + QStringLiteral("/tandem.ini");
    const QString bundle = demoProject();
    {
        ui::MainWindow w(options(settings));
        w.show();
        REQUIRE(w.dock(QStringLiteral("jobsDock")));
        CHECK_FALSE(w.dock(QStringLiteral("jobsDock"))->isHidden());
        w.dock(QStringLiteral("jobsDock"))->hide();
        REQUIRE(w.openProject(bundle));
        w.close();
    }
    ui::MainWindow again(options(settings));
    again.show();
    CHECK(again.dock(QStringLiteral("jobsDock"))->isHidden());
    REQUIRE(again.recentProjectList().size() == 1);
    CHECK(QFileInfo(again.recentProjectList()[0]) == QFileInfo(bundle));

    // Two files imported in the background (one unreadable): one asset arrives, the progress bar goes away.
    const std::string dir = test::freshTempDir("editorimport");
    const std::string bad = dir + "/broken.mp4";
    std::ofstream(bad) << "not a movie";
    again.importFiles({QString::fromStdString(clipFile(dir, "x.mp4", 16)), QString::fromStdString(bad)});
    CHECK(again.importing());
    QTRY_VERIFY_WITH_TIMEOUT(!again.importing(), 30000);
    CHECK(again.project().state().assets.size() == 1);
    CHECK(again.project().sequence().duration() == 0); // imported into the bins, not placed
    CHECK(again.bins().tree().topLevelItemCount() == 1);
}

TEST_CASE("an asset dragged from the bins drops onto the timeline at the frame under the cursor") {
    const std::string dir = test::freshTempDir("editordrop");
    ui::MainWindow w(options());
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    w.importFiles({QString::fromStdString(clipFile(dir, "x.mp4", 16))});
    QTRY_VERIFY_WITH_TIMEOUT(!w.importing(), 30000);
    const timeline::Id asset = w.project().state().assets[0].id;
    auto& tl = w.timelineView();
    std::unique_ptr<QMimeData> mime(ui::assetMimeData({asset}));
    const QPoint at(tl.clipRect(0, timeline::Clip{0, 0, 0, 10, 0, 1}).left() + 1, tl.clipRect(0, timeline::Clip{}).center().y());
    QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
    QCoreApplication::sendEvent(&tl, &enter);
    REQUIRE(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, mime.get(), Qt::LeftButton, {});
    QCoreApplication::sendEvent(&tl, &drop);
    const auto& clips = w.project().sequence().tracks[0].clips;
    REQUIRE(clips.size() == 1);
    CHECK(clips[0].assetId == asset);
    CHECK(clips[0].position == 10);
    CHECK(w.project().sequence().tracks[1].clips.size() == 1);
    check(w);
}

TEST_CASE("the lip-sync panel measures a clip, Fix slips its sound by the offset (undoably), and a dub is queued") {
    const std::string dir = test::freshTempDir("editorsync");
    const std::vector<float> speech = test::synthesiseSpeech("She sells sea shells by the sea shore, and the shells she sells are sea shells.");
    REQUIRE_FALSE(speech.empty());
    test::TalkingFace spec;
    spec.audioOffsetSeconds = 0.094; // the sound three frames late
    test::writeTalkingFace(dir + "/talk.mp4", speech, spec);
    ui::MainWindowOptions o = options();
    o.engine = tinyEngine();
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(dir + "/talk.mp4")));
    const timeline::Clip video = w.project().sequence().tracks[0].clips[0];
    w.timelineView().select(video.id);
    ui::SyncPanel& panel = w.syncPanel();
    REQUIRE(panel.clip() == video.id);
    panel.analyse();
    QTRY_VERIFY_WITH_TIMEOUT(!panel.busy(), 60000);
    REQUIRE(panel.report());
    INFO(panel.summary().toStdString());
    REQUIRE(panel.report()->offsetMs);
    CHECK(std::abs(*panel.report()->offsetMs - 94) <= 1000.0 / 32);
    CHECK(panel.summary().contains(QStringLiteral("late")));

    // Fix: the linked sound plays earlier by the measured offset; one undo step takes it back.
    REQUIRE(panel.fix());
    const timeline::Id audio = video.linkedClipId;
    CHECK(w.project().state().clip(audio)->audioDelayMs == Approx(-*panel.report()->offsetMs));
    CHECK(w.project().state().clip(video.id)->audioDelayMs == 0);
    w.undoStack().undo();
    CHECK(w.project().state().clip(audio)->audioDelayMs == 0);
    check(w);

    // Regenerate the picture from the sound: a dub job replaces the clip with a take that follows its voice.
    QPushButton* dub = panel.findChild<QPushButton*>(QStringLiteral("syncDub"));
    REQUIRE(dub);
    w.generationPanel().setPrompt(QStringLiteral("a face speaks"));
    auto stepsSpec = w.generationPanel().spec();
    stepsSpec.steps = 2;
    w.generationPanel().setSpec(stepsSpec);
    dub->click();
    REQUIRE(w.jobs().jobs().size() == 1);
    const ui::JobInfo* job = waitForJob(w, w.jobs().jobs().front().id);
    INFO(job->error.toStdString());
    REQUIRE(job->state == ui::JobState::Done);
    CHECK(job->spec.task == QStringLiteral("dub"));
    const auto& clips = w.project().sequence().tracks[0].clips;
    REQUIRE(clips.size() == 1);
    CHECK(clips[0].takeId != 0);
    CHECK(clips[0].position == video.position);
    check(w);
}

TEST_CASE("the lip-sync panel shows a clip's shots, names the one slipped by an edit and fixes that shot alone") {
    // Two shots joined by FFmpeg: A in sync, B (its colours turned: another shot) with its sound 160 ms late.
    const std::string dir = test::freshTempDir("editorslip");
    test::TalkingFace inSync;
    test::writeTalkingFace(dir + "/a.mp4", test::synthesiseSpeech("The quick brown fox jumps over the lazy dog. She sells sea shells."), inSync);
    test::TalkingFace late;
    late.audioOffsetSeconds = 0.160;
    test::writeTalkingFace(dir + "/b.mp4", test::synthesiseSpeech("Peter picked a peck of pickled peppers."), late);
    const std::string cmd = "ffmpeg -v error -y -i " + dir + "/a.mp4 -i " + dir + "/b.mp4 -filter_complex "
                            "\"[1:v]hue=h=150:s=2[b];[0:v][0:a][b][1:a]concat=n=2:v=1:a=1[v][s]\" -map [v] -map [s] "
                            "-c:v libx264 -preset veryfast -crf 18 -c:a aac " + dir + "/edit.mp4 >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    ui::MainWindow w(options());
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(dir + "/edit.mp4")));
    const timeline::Clip video = w.project().sequence().tracks[0].clips[0];
    w.timelineView().select(video.id);
    ui::SyncPanel& panel = w.syncPanel();
    QPushButton* fixShot = panel.findChild<QPushButton*>(QStringLiteral("syncFixShot"));
    REQUIRE(fixShot);
    CHECK_FALSE(fixShot->isVisibleTo(&panel)); // nothing measured yet
    panel.analyse();
    QTRY_VERIFY_WITH_TIMEOUT(!panel.busy(), 60000);
    REQUIRE(panel.report());
    INFO(panel.summary().toStdString());
    REQUIRE(panel.report()->offsetMs);
    REQUIRE(panel.report()->shots.size() == 2);
    CHECK(panel.summary().contains(QStringLiteral("slipped")));
    const std::optional<size_t> slipped = panel.slippedShot();
    REQUIRE(slipped);
    CHECK(*slipped == 1);
    CHECK(fixShot->isVisibleTo(&panel));
    CHECK(fixShot->isEnabled());
    const render::ShotSync shot = panel.report()->shots[1];

    // Fix that shot alone: the clip is cut where the shot starts and only that piece's sound moves.
    fixShot->click();
    const auto& pictures = w.project().sequence().tracks[0].clips;
    REQUIRE(pictures.size() == 2);
    const timeline::Clip& piece = pictures[1];
    CHECK(std::abs(double(piece.sourceIn) / 32 - shot.startSeconds) <= 1.0 / 32);
    const timeline::Clip* pieceSound = w.project().state().clip(piece.linkedClipId);
    REQUIRE(pieceSound);
    CHECK(pieceSound->audioDelayMs == Approx(-*shot.offsetMs));
    CHECK(w.project().state().clip(pictures[0].linkedClipId)->audioDelayMs == 0);
    check(w);
    w.undoStack().undo(); // one step: the cut and the move together
    REQUIRE(w.project().sequence().tracks[0].clips.size() == 1);
    CHECK(w.project().state().clip(video.linkedClipId)->audioDelayMs == 0);
    check(w);
}

TEST_CASE("with no audio device the editor still plays (silently), edits and exports") {
    // The machines that run the tests have no sound card: asking for the real device is the fault itself.
    const std::string dir = test::freshTempDir("editornoaudio");
    ui::MainWindowOptions o = options();
    o.useAudioDevice = true;
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));
    INFO(w.playback().audioStatus().toStdString());
    w.playback().play();
    QTest::qWait(300);
    w.playback().pause();
    CHECK(w.playback().currentFrame() > 0); // the picture moved on a clock of its own
    w.timelineView().select(w.project().sequence().tracks[0].clips[0].id);
    w.playback().seekToFrame(20);
    QTest::keyClick(&w, Qt::Key_S);
    CHECK(w.project().sequence().tracks[0].clips.size() == 2);
    ui::ExportDialog* dialog = w.openExportDialog();
    const QString out = QString::fromStdString(dir) + QStringLiteral("/out.mp4");
    dialog->setOutputPath(out);
    dialog->setPreset(QStringLiteral("360p"));
    bool done = false, ok = false;
    QObject::connect(dialog, &ui::ExportDialog::exportFinished, [&](bool success, const QString&) { done = true, ok = success; });
    dialog->startExport();
    QTRY_VERIFY_WITH_TIMEOUT(done, 60000);
    CHECK(ok);
    CHECK(render::probe(out.toStdString()).firstAudio());
}

TEST_CASE("a job running when another project is opened never lands in it") {
    const QString bundle = demoProject();
    const std::string dir = test::freshTempDir("editorswitch");
    ui::MainWindowOptions o = options();
    o.engine = tinyEngine();
    ui::MainWindow w(o);
    w.show();
    REQUIRE(w.openMedia(QString::fromStdString(clipFile(dir, "a.mp4", 32))));
    ui::GenerationSpec spec;
    spec.prompt = QStringLiteral("a long shot");
    spec.seconds = 2;
    spec.steps = 400;
    spec.sourceClipId = w.project().sequence().tracks[0].clips[0].id; // an id the next project has too
    spec.placement = ui::TakePlacement::ReplaceClip;
    QString error;
    const QString id = w.jobs().submit(spec, &error);
    REQUIRE_FALSE(id.isEmpty());
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000 && w.jobs().job(id)->step < 1) QTest::qWait(20);
    REQUIRE(w.openProject(bundle, &error));
    const quint64 revision = w.project().revision();
    const ui::JobInfo* job = waitForJob(w, id);
    CHECK(job->finished());
    CHECK(job->state != ui::JobState::Done);
    CHECK(w.project().revision() == revision);
    CHECK(w.project().state().takes.isEmpty());
    check(w);
}
