// Runs the real tandem-cli program, as a user would.
#include "model/shot_file.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "support/talking_face.h"
#include "support/run_command.h"
#include "support/test_media.h"
#include "timeline/bundle.h"
#include "timeline/project.h"

#include <QFileInfo>

#include "model/engine_client.h"
#include "model/remote.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace {

using Result = tandem::test::CommandResult;
using tandem::test::runCommand;

// Task commands run with random weights unless a test names a model: these tests check the pipeline, and
// the demo model has tests of its own.
Result run(const std::string& args) {
    static const char* kTasks[] = {"generate ", "image ", "inpaint ", "retake ", "extend ", "restyle ", "foley ", "dub "};
    bool task = false;
    for (const char* t : kTasks) task = task || args.rfind(t, 0) == 0;
    const bool untrained = task && args.find("--model") == std::string::npos && args.find("--help") == std::string::npos &&
                           args.find("--token-file") == std::string::npos; // a remote engine has its own model
    std::string withFlag = args;
    if (untrained) withFlag.insert(args.find(' '), " --untrained"); // right after the command word
    return runCommand(std::string(TANDEM_CLI) + " " + withFlag + " 2>&1");
}

std::string tempPath(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("tandem-cli-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

} // namespace

TEST_CASE("generate writes an MP4 with H.264 and AAC whose durations agree within a frame") {
    const std::string out = tempPath("gen.mp4");
    const Result r = run("generate --prompt 'a red ball bounces' --seconds 1.5 --seed 3 --steps 2 --threads 2 -o " + out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("weights are random") != std::string::npos); // says plainly that it is noise
    CHECK(r.output.find("step 2/2") != std::string::npos);
    const auto info = tandem::render::probe(out);
    REQUIRE(info.streams.size() == 2);
    const auto* v = info.firstVideo();
    const auto* a = info.firstAudio();
    REQUIRE(v);
    REQUIRE(a);
    CHECK(v->codec == "h264");
    CHECK(a->codec == "aac");
    CHECK(v->width == 128);
    CHECK(v->height == 128);
    CHECK(v->fps == Approx(16.0));
    CHECK(v->duration == Approx(1.5).margin(1.0 / 16)); // 1.5 s rounds to 24 frames = 6 latent steps
    CHECK(std::abs(v->duration - a->duration) <= 1.0 / v->fps);
}

TEST_CASE("the same seed writes the same pictures") {
    const std::string a = tempPath("a.mp4"), b = tempPath("b.mp4");
    REQUIRE(run("generate --prompt rain --seconds 0.5 --seed 9 --steps 1 --quiet -o " + a).status == 0);
    REQUIRE(run("generate --prompt rain --seconds 0.5 --seed 9 --steps 1 --quiet -o " + b).status == 0);
    auto bytes = [](const std::string& p) {
        std::FILE* f = std::fopen(p.c_str(), "rb");
        std::string s;
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, f)) s.append(buf, n);
        std::fclose(f);
        return s;
    };
    CHECK(bytes(a) == bytes(b));
}

TEST_CASE("help lists the commands") {
    const Result r = run("--help");
    CHECK(r.status == 0);
    CHECK(r.output.find("generate") != std::string::npos);
    CHECK(r.output.find("probe") != std::string::npos);
    const Result g = run("generate --help");
    CHECK(g.status == 0);
    CHECK(g.output.find("--prompt") != std::string::npos);
}

TEST_CASE("unknown commands and bad arguments exit non-zero with a one-line reason") {
    auto oneLine = [](const Result& r) {
        INFO(r.output);
        CHECK(r.status == 2);
        CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    };
    Result r = run("frobnicate");
    oneLine(r);
    CHECK(r.output.find("unknown command 'frobnicate'") != std::string::npos);
    r = run("generate -o x.mp4");
    oneLine(r);
    CHECK(r.output.find("needs --prompt") != std::string::npos);
    r = run("generate --prompt x --seconds abc -o x.mp4");
    oneLine(r);
    CHECK(r.output.find("--seconds must be a number") != std::string::npos);
    r = run("generate --prompt x --steps 0 -o x.mp4");
    oneLine(r);
    CHECK(r.output.find("--steps must be between") != std::string::npos);
    r = run("generate --prompt x --frob 1 -o x.mp4");
    oneLine(r);
    CHECK(r.output.find("unknown option --frob") != std::string::npos);
    r = run("generate --prompt x --device tpu -o x.mp4");
    oneLine(r);
    r = run("generate --prompt");
    oneLine(r);
    CHECK(r.output.find("needs a value") != std::string::npos);
}

TEST_CASE("probe reports unreadable files and exits 1") {
    const std::string bad = tempPath("bad.mp4");
    std::FILE* f = std::fopen(bad.c_str(), "wb");
    std::fputs("not a movie", f);
    std::fclose(f);
    const Result r = run("probe " + bad);
    CHECK(r.status == 1);
    CHECK(r.output.find(bad) != std::string::npos);
}

TEST_CASE("a missing or hostile model folder is refused with the file named") {
    Result r = run("generate --prompt x --model /nonexistent/model -o " + tempPath("m.mp4"));
    CHECK(r.status == 1);
    CHECK(r.output.find("/nonexistent/model: not a model folder") != std::string::npos);

    const std::string dir = tempPath("hostile-model");
    std::filesystem::create_directories(dir);
    std::FILE* cfg = std::fopen((dir + "/config.json").c_str(), "wb");
    std::fputs("{}", cfg);
    std::fclose(cfg);
    std::FILE* tok = std::fopen((dir + "/tokenizer.json").c_str(), "wb");
    std::fputs(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":96,"byte_offset":3,)"
               R"("specials":{"<pad>":0,"<S>":1,"<E>":2}})", tok);
    std::fclose(tok);
    std::FILE* w = std::fopen((dir + "/model.safetensors").c_str(), "wb");
    const unsigned char header[8] = {0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}; // claims a 2 GB header
    std::fwrite(header, 1, 8, w);
    std::fputs("{}", w);
    std::fclose(w);
    r = run("generate --prompt x --model " + dir + " -o " + tempPath("h.mp4"));
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(dir + "/model.safetensors") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(tempPath("h.mp4")));
}

TEST_CASE("every task runs end to end from the command line and keeps what it must") {
    const std::string g = tempPath("g.safetensors");
    REQUIRE(run("generate --prompt 'a ball' --seconds 1 --steps 1 --quiet -o " + tempPath("g.mp4") + " --shot " + g).status == 0);
    const auto source = tandem::model::readShotFile(g);
    REQUIRE(source.frames == 16);

    const std::string clip = tempPath("clip.mp4");
    tandem::test::writeTestMovie(clip, {160, 120, 20, 25.0, 44100});
    const std::string mask = tempPath("mask.png");
    {
        // A white square on black, written as a one-frame PNG through FFmpeg's own image encoder.
        const std::string cmd = "ffmpeg -v error -y -f lavfi -i color=black:size=64x64 -vf "
                                "drawbox=x=16:y=16:w=32:h=32:color=white:t=fill -frames:v 1 " + mask;
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    struct Case {
        std::string args;
        int64_t frames;
    };
    const std::vector<Case> cases = {
        {"image --input " + mask + " --seconds 0.5", 8},
        {"inpaint --input " + g + " --mask " + mask + " --frames 2-9", 16},
        {"retake --input " + g + " --start 0.25 --end 0.5 --keep-audio", 16},
        {"extend --input " + g + " --seconds 0.5 --context 0.5", 24},
        {"extend --input " + clip + " --seconds 0.25 --backward", 16}, // 0.8 s of clip → 12 frames + 4 new
        {"restyle --input " + clip + " --strength 0.4", 12},
        {"foley --input " + g, 16},
        {"dub --input " + clip, 16}, // 0.8 s of sound → whole latent steps (1 s)
    };
    for (const auto& c : cases) {
        const std::string shot = tempPath("out.safetensors");
        const Result r = run(c.args + " --prompt x --steps 1 --quiet -o " + tempPath("out.mp4") + " --shot " + shot);
        INFO(c.args << "\n" << r.output);
        REQUIRE(r.status == 0);
        const auto out = tandem::model::readShotFile(shot);
        CHECK(out.frames == c.frames);
        CHECK(double(out.audio.size()) / out.sample_rate == Approx(out.frames / out.fps));
        if (c.args.rfind("foley", 0) == 0) CHECK(out.rgb == source.rgb);
        if (c.args.rfind("retake", 0) == 0) {
            CHECK(out.audio == source.audio); // --keep-audio
            CHECK(std::equal(out.rgb.begin(), out.rgb.begin() + 4 * 128 * 128 * 3, source.rgb.begin()));
        }
        if (c.args.rfind("extend --input " + g, 0) == 0) CHECK(std::equal(source.rgb.begin(), source.rgb.end(), out.rgb.begin()));
    }
}

TEST_CASE("task commands refuse what they cannot do") {
    Result r = run("inpaint --input x.mp4 --prompt x -o y.mp4");
    CHECK(r.status == 2);
    CHECK(r.output.find("needs --mask") != std::string::npos);
    r = run("retake --input x.mp4 --prompt x --keep-video --keep-audio --start 0 --end 1 -o y.mp4");
    CHECK(r.status == 2);
    CHECK(r.output.find("nothing to retake") != std::string::npos);
    r = run("foley --input /nonexistent.mp4 --prompt x -o y.mp4");
    CHECK(r.status == 1);
    CHECK(r.output.find("/nonexistent.mp4: no such file") != std::string::npos);
    r = run("restyle --input x.mp4 --strength 2 --prompt x -o y.mp4");
    CHECK(r.status == 2);
    for (const char* task : {"generate", "image", "inpaint", "retake", "extend", "restyle", "foley", "dub"}) {
        r = run(std::string(task) + " --help");
        CHECK(r.status == 0);
        CHECK(r.output.find(std::string("usage: tandem-cli ") + task) == 0);
    }
}

TEST_CASE("with --engine the task runs in a separate engine process with the same result") {
    const std::string g = tempPath("eg.safetensors");
    REQUIRE(run("generate --prompt 'a ball' --seconds 0.5 --steps 1 --quiet -o " + tempPath("eg.mp4") + " --shot " + g).status == 0);
    const std::string inProcess = tempPath("in.safetensors"), viaEngine = tempPath("via.safetensors");
    const std::string ref = tempPath("ref.mp4");
    tandem::test::writeTestMovie(ref, {64, 48, 8, 16.0, 16000});
    const std::string common = "foley --input " + g + " --refs " + ref + " --prompt rain --steps 2 --seed 5 ";
    REQUIRE(run(common + "--quiet -o " + tempPath("a.mp4") + " --shot " + inProcess).status == 0);
    const Result r = run(common + "--engine -o " + tempPath("b.mp4") + " --shot " + viaEngine);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("engine process (pid") != std::string::npos);
    const auto a = tandem::model::readShotFile(inProcess), b = tandem::model::readShotFile(viaEngine);
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
}

TEST_CASE("with --engine HOST:PORT --token-file the task runs on an engine over TLS with the same result") {
    const std::string g = tempPath("rg.safetensors");
    REQUIRE(run("generate --prompt 'a ball' --seconds 0.5 --steps 1 --quiet -o " + tempPath("rg.mp4") + " --shot " + g).status == 0);
    tandem::model::EngineLaunch l;
    l.program = TANDEM_ENGINE;
    l.socketPath = tempPath("remote.sock");
    l.device = "cpu";
    l.extraArgs = {"--listen", "127.0.0.1:0", "--identity", tempPath("identity"), "--spool", tempPath("spool")};
    auto engine = tandem::model::EngineClient::launch(l); // untrained, as the in-process run below
    const std::string pairing = tempPath("identity") + "/pairing";
    for (int i = 0; i < 250 && !std::filesystem::exists(pairing); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto address = tandem::model::remote::readPairingFile(pairing);
    const std::string where = "127.0.0.1:" + std::to_string(address.port);

    const std::string inProcess = tempPath("rin.safetensors"), remote = tempPath("rremote.safetensors");
    const std::string common = "retake --input " + g + " --start 0.1 --end 0.3 --prompt rain --steps 2 --seed 5 ";
    REQUIRE(run(common + "--quiet -o " + tempPath("ra.mp4") + " --shot " + inProcess).status == 0);
    const Result r = run(common + "--engine " + where + " --token-file " + pairing + " -o " + tempPath("rb.mp4") + " --shot " + remote);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("round trip") != std::string::npos);
    CHECK(r.output.find("to the remote engine") != std::string::npos);
    const auto a = tandem::model::readShotFile(inProcess), b = tandem::model::readShotFile(remote);
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);

    // A token file without the fingerprint, and a wrong token, are refused with the reason.
    const std::string bare = tempPath("bare-token");
    std::ofstream(bare) << address.token << "\n";
    Result bad = run(common + "--engine " + where + " --token-file " + bare + " -o " + tempPath("rc.mp4"));
    CHECK(bad.status != 0);
    CHECK(bad.output.find("sha256=") != std::string::npos);
    const std::string wrong = tempPath("wrong-token");
    std::ofstream(wrong) << "token=" << std::string(64, '0') << " sha256=" << address.fingerprint << "\n";
    bad = run(common + "--engine " + where + " --token-file " + wrong + " -o " + tempPath("rc.mp4"));
    CHECK(bad.status != 0);
    CHECK(bad.output.find("wrong token") != std::string::npos);
    bad = run(common + "--engine " + where + " --token-file " + pairing + " --device cuda -o " + tempPath("rc.mp4"));
    CHECK(bad.output.find("--device is chosen on the engine's machine") != std::string::npos);
}

TEST_CASE("eval measures the ground truth at the ceiling and writes JSON and Markdown") {
    // The smoke test of the evaluation: the report's structure, and the checkers' ceilings on true clips of
    // the length the targets are set for (a checker that cannot score the truth cannot score a model).
    const std::string json = tempPath("truth.json"), md = tempPath("truth.md");
    // 40 seeds: the lip figures are medians over the 14 clips with a speaker.
    const Result r = run("eval --ground-truth --seeds 1000-1039 --seconds 4 --tasks generate,inpaint,extend,dub,references --quiet --json " +
                         json + " --markdown " + md);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("| generate |") != std::string::npos);
    const auto j = nlohmann::json::parse(tandem::test::readFile(json));
    CHECK(j["ground_truth"] == true);
    const auto& gen = j["tasks"]["generate"];
    CHECK(gen["clips"] == 40);
    CHECK(gen["impact_sync"]["median_abs_frames"].get<double>() <= 0.5);
    CHECK(gen["impact_sync"]["p90_abs_frames"].get<double>() <= 1.0);
    CHECK(gen["impact_sync"]["matched_fraction"].get<double>() >= 0.95);
    CHECK(gen["adherence"]["colour"].get<double>() == 1.0);
    CHECK(gen["adherence"]["all"].get<double>() >= 0.97);
    // No true object is drawn twice: a copy the check reports on a generated shot is the model's.
    CHECK(gen["adherence"]["drawn_more_than_once"].get<double>() == 0.0);
    CHECK(gen["adherence"]["drawn_more_than_once_list"].empty());
    // Objects the checker cannot judge are counted and named, not silently dropped.
    CHECK(gen["adherence"]["ambiguous"].size() == gen["adherence"]["ambiguous_left_out"].get<size_t>());
    CHECK(gen["scene"]["all"].get<double>() >= 0.95);
    CHECK(gen["lip_sync"]["median_abs_lag_frames"].get<double>() <= 1.0);
    CHECK(gen["lip_sync"]["median_correlation"].get<double>() >= 0.7);
    CHECK(j["tasks"]["dub"]["lip_sync"]["median_abs_lag_frames"].get<double>() == 0.0);
    CHECK(j["tasks"]["dub"]["lip_sync"]["median_correlation"].get<double>() >= 0.7);
    // Against the mouth the voice line calls for, every true dubbed clip is in sync: the "every clip" target
    // is reachable (against the voice's loudness alone one of these 14 correlates at 0.59).
    const auto& toMouth = j["tasks"]["dub"]["lip_sync_to_mouth"];
    CHECK(toMouth["clips"] == 14);
    CHECK(toMouth["in_sync"] == toMouth["clips"]);
    CHECK(toMouth["median_correlation"].get<double>() >= 0.9);
    // Clip by clip too, each with its seed, so the reports of several runs can be pooled into one median.
    const auto& perClip = gen["lip_sync"]["per_clip"];
    REQUIRE(perClip.size() == gen["lip_sync"]["clips"].get<size_t>());
    std::vector<double> correlations;
    std::map<std::string, int> outcomes;
    for (const auto& c : perClip) {
        CHECK(c["seed"].get<int>() >= 1000);
        CHECK(c["seed"].get<int>() <= 1039);
        outcomes[c["outcome"].get<std::string>()]++;
        correlations.push_back(c["correlation"].get<double>());
    }
    CHECK(outcomes["no face"] == gen["lip_sync"]["no_face"].get<int>());
    CHECK(outcomes["no estimate"] == gen["lip_sync"]["no_estimate"].get<int>());
    CHECK(outcomes["measured"] + outcomes["no face"] + outcomes["no estimate"] == int(perClip.size()));
    std::sort(correlations.begin(), correlations.end());
    const size_t n = correlations.size();
    CHECK(gen["lip_sync"]["median_correlation"].get<double>() ==
          Approx(n % 2 ? correlations[n / 2] : (correlations[n / 2 - 1] + correlations[n / 2]) / 2).margin(1e-3));
    CHECK(j["tasks"]["inpaint"]["keeps"]["pixels outside the mask"]["passed"] == 40);
    CHECK(j["tasks"]["extend"]["figures"]["backdrop_drift"]["max"].get<double>() <= 2.0);
    const auto& refs = j["tasks"]["references"]["keeps"];
    CHECK(refs["reference object: colour and shape shown"]["passed"].get<double>() >=
          0.8 * refs["reference object: colour and shape shown"]["checked"].get<double>());
    CHECK(refs["reference voice: pitch within 10 %"]["passed"].get<double>() >=
          0.8 * refs["reference voice: pitch within 10 %"]["checked"].get<double>());
    CHECK(tandem::test::readFile(md).find("# Tandem evaluation") == 0);
}

TEST_CASE("eval runs the model on every task, and what a task keeps is kept even by random weights") {
    const std::string json = tempPath("untrained.json");
    const Result r = run("eval --untrained --seeds 1002 --steps 1 --seconds 1 --extend-seconds 0.5 --threads 2 --quiet --json " + json);
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(tandem::test::readFile(json));
    CHECK(j["model"] == "untrained");
    for (const char* task : {"generate", "image", "inpaint", "retake", "extend", "restyle", "foley", "references"}) {
        INFO(task);
        CHECK(j["tasks"][task]["errors"].empty());
        CHECK(j["tasks"][task]["clips"] == 1);
    }
    for (const auto& [task, t] : j["tasks"].items()) {
        if (!t.contains("keeps")) continue;
        for (const auto& [name, k] : t["keeps"].items()) {
            // Quality, not a guarantee: random weights draw no scene and follow no reference.
            if (name == "motion" || name == "backdrop moved to the new colour" || name.rfind("scene:", 0) == 0 ||
                name.rfind("reference ", 0) == 0)
                continue;
            INFO(task << ": " << name);
            CHECK(k["passed"] == k["checked"]);
        }
    }
}

TEST_CASE("eval refuses training seeds and unknown tasks") {
    Result r = run("eval --ground-truth --seeds 4294967296-4294967300");
    CHECK(r.status == 2);
    CHECK(r.output.find("training set") != std::string::npos);
    r = run("eval --ground-truth --tasks generate,juggle");
    CHECK(r.status == 2);
    CHECK(r.output.find("'juggle'") != std::string::npos);
    r = run("eval --ground-truth --seeds 9-3");
    CHECK(r.status == 2);
}

TEST_CASE("otio export of a three-track sequence and import of it back, from the command line") {
    using namespace tandem::timeline;
    const std::string dir = tandem::test::freshTempDir("cli-otio");
    const std::string clipA = dir + "/a.mp4", clipB = dir + "/b.mp4";
    tandem::test::writeTestMovie(clipA, {64, 48, 64, 16.0, 16000}); // 4 s with sound
    tandem::test::writeTestMovie(clipB, {64, 48, 32, 16.0, 0});     // 2 s, picture only
    const QString bundle = QString::fromStdString(dir + "/Film.tandem");
    Project p(QStringLiteral("Film"));
    auto adopt = [&](const std::string& file, bool audio, double seconds) {
        QString error;
        Asset a;
        a.path = adoptMediaFile(bundle, QString::fromStdString(file), &error);
        REQUIRE_FALSE(a.path.isEmpty());
        a.label = QFileInfo(a.path).fileName();
        a.hasVideo = true;
        a.hasAudio = audio;
        a.duration = seconds;
        const auto r = p.requestAddAsset(a);
        REQUIRE(r.ok);
        return r.newId;
    };
    const Id a = adopt(clipA, true, 4.0), b = adopt(clipB, false, 2.0);
    REQUIRE(p.requestAddTrack(p.sequence().id, TrackKind::Video).ok);
    REQUIRE(p.requestInsertAsset(a, 0).ok);
    Placement over;
    over.assetId = b;
    over.videoTrackId = p.sequence().tracks[1].id; // V2, over the middle of the A shot
    over.position = 40;
    over.sourceIn = 4;
    over.length = 30;
    REQUIRE(p.requestPlace(over).ok);
    QString error;
    REQUIRE(saveBundle(bundle, p.state(), &error));

    const std::string otio = dir + "/film.otio";
    Result r = run("otio export " + bundle.toStdString() + " -o " + otio);
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto doc = nlohmann::json::parse(tandem::test::readFile(otio));
    CHECK(doc["OTIO_SCHEMA"] == "Timeline.1");
    CHECK(doc["tracks"]["children"].size() == 3);

    const std::string imported = dir + "/Again";
    r = run("otio import " + otio + " -o " + imported);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("3 tracks, 3 clips") != std::string::npos);
    const auto back = loadBundle(QString::fromStdString(imported + ".tandem"), BundleSource::Project, &error);
    INFO(error.toStdString());
    REQUIRE(back);
    const Sequence& seq = back->sequences[0];
    REQUIRE(seq.tracks.size() == 3);
    for (int t = 0; t < 3; ++t) {
        REQUIRE(seq.tracks[t].clips.size() == p.sequence().tracks[t].clips.size());
        for (int i = 0; i < seq.tracks[t].clips.size(); ++i) {
            CHECK(seq.tracks[t].clips[i].position == p.sequence().tracks[t].clips[i].position);
            CHECK(seq.tracks[t].clips[i].sourceIn == p.sequence().tracks[t].clips[i].sourceIn);
            CHECK(seq.tracks[t].clips[i].length == p.sequence().tracks[t].clips[i].length);
        }
    }
    // The media came along into the new bundle and were probed there.
    for (const Asset& asset : back->assets) {
        CHECK(QFileInfo::exists(QString::fromStdString(imported + ".tandem/") + asset.path));
        CHECK(asset.duration > 1.9);
    }
    CHECK(back->asset(seq.tracks[0].clips[0].assetId)->hasAudio);

    // A second import onto the same name is refused; the project there is untouched.
    const std::string before = tandem::test::readFile(imported + ".tandem/project.json");
    r = run("otio import " + otio + " -o " + imported);
    CHECK(r.status == 2);
    CHECK(r.output.find("already holds a project") != std::string::npos);
    CHECK(tandem::test::readFile(imported + ".tandem/project.json") == before);
}

TEST_CASE("otio import refuses malformed files with a clear error and leaves nothing behind") {
    const std::string dir = tandem::test::freshTempDir("cli-otio-bad");
    const std::string bad = dir + "/bad.otio";
    std::FILE* f = std::fopen(bad.c_str(), "w");
    std::fputs("{\"OTIO_SCHEMA\": \"Timeline.1\", \"tracks\": {\"OTIO_SCHEMA\": \"Stack.1\", \"children\": [{\"OTIO_SCHEMA\": \"Stack.1\"}]}}", f);
    std::fclose(f);
    Result r = run("otio import " + bad + " -o " + dir + "/X");
    CHECK(r.status == 1);
    CHECK(r.output.find("has no tracks") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir + "/X.tandem"));
    r = run("otio import " + dir + "/none.otio -o " + dir + "/Y");
    CHECK(r.status == 1);
    CHECK(r.output.find("cannot read") != std::string::npos);
    r = run("otio export " + dir + "/nothing.tandem -o " + dir + "/x.otio");
    CHECK(r.status == 1);
    CHECK(r.output.find("not a project folder") != std::string::npos);
    r = run("otio frobnicate x -o y");
    CHECK(r.status == 2);
}

TEST_CASE("otio import makes an image sequence one movie in the bundle and names what it left out") {
    const std::string dir = tandem::test::freshTempDir("cli-otio-images");
    // Three numbered frames from 1001, as a compositing package writes them.
    const std::string make = "ffmpeg -v error -f lavfi -i testsrc2=size=64x48:rate=24 -frames:v 3 -start_number 1001 " + dir + "/sh010.%04d.png";
    REQUIRE(std::system(make.c_str()) == 0);
    const std::string otio = dir + "/vfx.otio";
    std::FILE* f = std::fopen(otio.c_str(), "w");
    const std::string json = R"({"OTIO_SCHEMA": "Timeline.1", "name": "vfx", "tracks": {"OTIO_SCHEMA": "Stack.1", "children": [
      {"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [
        {"OTIO_SCHEMA": "Clip.2", "name": "plate", "active_media_reference_key": "DEFAULT_MEDIA",
         "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 0},
                          "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 3}},
         "media_references": {"DEFAULT_MEDIA": {"OTIO_SCHEMA": "ImageSequenceReference.1", "target_url_base": "./",
           "name_prefix": "sh010.", "name_suffix": ".png", "start_frame": 1001, "frame_step": 1, "rate": 24.0,
           "frame_zero_padding": 4, "available_range": {"OTIO_SCHEMA": "TimeRange.1",
             "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 0},
             "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 3}}}}},
        {"OTIO_SCHEMA": "Clip.2", "name": "bars", "source_range": {"OTIO_SCHEMA": "TimeRange.1",
           "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 0},
           "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 24}},
         "media_references": {"DEFAULT_MEDIA": {"OTIO_SCHEMA": "GeneratorReference.1", "generator_kind": "SMPTEBars"}}}]}]}})";
    std::fputs(json.c_str(), f);
    std::fclose(f);
    const Result r = run("otio import " + otio + " -o " + dir + "/Vfx");
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("1 tracks, 1 clips") != std::string::npos);
    // One note, naming the generator left as a gap.
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 3);
    CHECK(r.output.find("'bars' (SMPTEBars)") != std::string::npos);
    QString error;
    const auto back = tandem::timeline::loadBundle(QString::fromStdString(dir + "/Vfx.tandem"), tandem::timeline::BundleSource::Project, &error);
    REQUIRE(back);
    const auto& asset = back->assets[0];
    CHECK(asset.path == QStringLiteral("media/sh010.mp4"));
    const auto probed = tandem::render::probe(dir + "/Vfx.tandem/" + asset.path.toStdString());
    REQUIRE(probed.firstVideo());
    CHECK(probed.firstVideo()->width == 64);
    CHECK(std::abs(probed.duration - 3.0 / 24) < 0.02);
}

namespace {

// A saved project "Cut.tandem" in `dir`: a 2 s test movie (dir/m.mp4), then its second half again (3 s in all).
QString makeCutProject(const std::string& dir) {
    using namespace tandem::timeline;
    const std::string movie = dir + "/m.mp4";
    tandem::test::writeTestMovie(movie, {64, 48, 32, 16.0, 16000}); // 2 s, frame i grey testMovieLevel(i)
    const QString bundle = QString::fromStdString(dir + "/Cut.tandem");
    Project p(QStringLiteral("Cut"));
    QString error;
    Asset a;
    a.path = adoptMediaFile(bundle, QString::fromStdString(movie), &error);
    a.label = QStringLiteral("m");
    a.hasVideo = a.hasAudio = true;
    a.duration = 2.0;
    const Id asset = p.requestAddAsset(a).newId;
    REQUIRE(p.requestInsertAsset(asset, 0).ok); // 64 frames at 32 fps
    Placement second;
    second.assetId = asset;
    second.videoTrackId = p.sequence().tracks[0].id;
    second.audioTrackId = p.sequence().tracks[1].id;
    second.position = 64;
    second.sourceIn = 32; // from media second 1
    second.length = 32;
    REQUIRE(p.requestPlace(second).ok);
    REQUIRE(saveBundle(bundle, p.state(), &error));
    return bundle;
}

} // namespace

TEST_CASE("export renders a project's sequence with its cut, and refuses what it cannot do") {
    using namespace tandem::timeline;
    const std::string dir = tandem::test::freshTempDir("cli-export");
    const QString bundle = makeCutProject(dir);

    const std::string out = dir + "/cut.mp4";
    Result r = run("export " + bundle.toStdString() + " --preset 360p -o " + out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("export 100%") != std::string::npos);
    const auto info = tandem::render::probe(out);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->width == 640);
    CHECK(info.firstVideo()->height == 360);
    CHECK(info.firstVideo()->duration == Approx(3.0).margin(1.0 / 32));
    CHECK(info.firstAudio()->duration == Approx(3.0).margin(0.05));
    // Across the cut at sequence frame 64 the picture jumps from media frame 31 to media frame 16.
    tandem::render::VideoDecoder decoder(out);
    tandem::render::Frame f;
    REQUIRE(decoder.seekTo(63, f));
    CHECK(std::abs(int(f.rgb[(180 * 640 + 320) * 3]) - tandem::test::testMovieLevel(31)) <= 4);
    REQUIRE(decoder.seekTo(64, f));
    CHECK(std::abs(int(f.rgb[(180 * 640 + 320) * 3]) - tandem::test::testMovieLevel(16)) <= 4);

    // ProRes MOV, normalised to -16 LUFS, with a stem per audio track.
    r = run("export " + bundle.toStdString() + " --preset 360p --loudness -16 --stems " + dir + "/stems -o " + dir +
            "/cut.mov --quiet");
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("loudness: measured") != std::string::npos);
    CHECK(tandem::render::probe(dir + "/cut.mov").firstVideo()->codec == "prores");
    CHECK(tandem::render::probe(dir + "/stems/A1.wav").firstAudio()->duration == Approx(3.0).margin(0.01));
    // The refiner from the command line: 16 → 32 fps, enlarged.
    r = run("refine " + dir + "/m.mp4" + " --fps 32 --size 128x96 --quiet -o " + dir + "/refined.mp4");
    REQUIRE(r.status == 0);
    const auto refined = tandem::render::probe(dir + "/refined.mp4");
    CHECK(refined.firstVideo()->fps == Approx(32));
    CHECK(refined.firstVideo()->width == 128);
    CHECK(refined.firstVideo()->frames == 64);
    r = run("refine " + dir + "/m.mp4" + " --size 127x96 -o " + dir + "/odd.mp4");
    CHECK(r.status == 2);

    r = run("export " + bundle.toStdString() + " -o " + dir + "/x.avi");
    CHECK(r.status == 2);
    CHECK(r.output.find(".mp4") != std::string::npos);

    r = run("export " + bundle.toStdString() + " --preset 8k -o " + dir + "/x.mp4");
    CHECK(r.status == 2);
    CHECK(r.output.find("--preset must be") != std::string::npos);
    r = run("export " + dir + "/Nothing.tandem -o " + dir + "/x.mp4");
    CHECK(r.status == 1);
    CHECK_FALSE(std::filesystem::exists(dir + "/x.mp4"));
}

TEST_CASE("sync prints a talking clip's offset, confidence and drift, as text and as JSON") {
    const std::string dir = tandem::test::freshTempDir("clisync");
    const std::vector<float> speech = tandem::test::synthesiseSpeech("Peter picked a peck of pickled peppers, and a peck it was.");
    REQUIRE_FALSE(speech.empty());
    tandem::test::TalkingFace spec;
    spec.audioOffsetSeconds = -0.125; // the sound four frames early
    tandem::test::writeTalkingFace(dir + "/talk.mp4", speech, spec);
    const Result text = run("sync " + dir + "/talk.mp4");
    INFO(text.output);
    REQUIRE(text.status == 0);
    CHECK(text.output.find("audio early by") != std::string::npos);
    const Result json = run("sync --json " + dir + "/talk.mp4");
    REQUIRE(json.status == 0);
    const auto j = nlohmann::json::parse(json.output);
    CHECK(j["method"] == "lips");
    REQUIRE(j["offset_ms"].is_number());
    CHECK(std::abs(j["offset_ms"].get<double>() + 125) <= 1000.0 / 32);
    CHECK(j["confidence"].get<double>() > 0);
    CHECK(j.contains("per_second"));

    // Unreadable media is an error, not an estimate.
    std::ofstream(dir + "/bad.mp4") << "not a movie";
    const Result bad = run("sync " + dir + "/bad.mp4");
    CHECK(bad.status != 0);
}

TEST_CASE("a disk that fills up during export gives a clear error and leaves no file at the destination") {
    const std::string dir = tandem::test::freshTempDir("cli-diskfull");
    const QString bundle = makeCutProject(dir);
    const std::string outDir = tandem::test::freshTempDir("cli-diskfull-out");
    // A file-size limit stands in for a full disk: writes past it fail (EFBIG) as they would on a full one
    // (ENOSPC); the signal the limit raises is ignored, as a full disk raises none.
    const Result r = run("export " + bundle.toStdString() + " --preset 1080p -o " + outDir + "/out.mp4");
    REQUIRE(r.status == 0); // the project exports when there is room
    std::filesystem::remove(outDir + "/out.mp4");
    const std::string cmd = "bash -c \"trap '' XFSZ; ulimit -f 40; exec " + std::string(TANDEM_CLI) + " export " +
                            bundle.toStdString() + " --preset 1080p -o " + outDir + "/out.mp4\" 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    std::string output;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    const int raw = pclose(pipe);
    INFO(output);
    CHECK(WIFEXITED(raw));
    CHECK(WEXITSTATUS(raw) == 1);
    CHECK(output.find("disk full") != std::string::npos);
    CHECK(std::filesystem::is_empty(outDir)); // nothing at the destination, no half-written temporary file
}

TEST_CASE("generate with an LTX-2.3 single-file checkpoint writes an MP4 with sound") {
    // The tiny complete checkpoint and the tiny Gemma folder of tests/fixtures/ltx2 (random weights).
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    const std::string out = tempPath("ltx.mp4");
    const Result r = run("generate --model " + fixtures + "/ltx-tiny.safetensors --text-encoder " + fixtures +
                         "/gemma --prompt 'a red circle' --size 32x24 --seconds 1 --fps 16 --steps 2 --threads 1 -o " +
                         out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("step 2/2") != std::string::npos);
    const auto info = tandem::render::probe(out);
    const auto* v = info.firstVideo();
    const auto* a = info.firstAudio();
    REQUIRE(v);
    REQUIRE(a);
    CHECK(v->width == 32);
    CHECK(v->height == 24);
    CHECK(v->duration == Approx(17.0 / 16).margin(1.0 / 16)); // 16 frames + the causal first one
    CHECK(std::abs(v->duration - a->duration) <= 0.1);

    // A damaged copy is refused by name, and nothing is written.
    const std::string damaged = tempPath("damaged.safetensors");
    std::filesystem::copy_file(fixtures + "/ltx-tiny.safetensors", damaged,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(damaged, 4096);
    const std::string none = tempPath("none.mp4");
    const Result bad = run("generate --model " + damaged + " --text-encoder " + fixtures + "/gemma --prompt x -o " + none);
    CHECK(bad.status != 0);
    CHECK(bad.output.find("damaged.safetensors") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(none));
    // Without the text encoder the command says what is missing.
    const Result noText = run("generate --model " + fixtures + "/ltx-tiny.safetensors --prompt x -o " + none);
    CHECK(noText.status != 0);
    CHECK(noText.output.find("text-encoder") != std::string::npos);
    // Each stage says how long it took and the memory it peaked at; Gemma is done before denoising.
    CHECK(r.output.find("text encoder") < r.output.find("step 1/2"));
    CHECK(r.output.find("peak resident memory") != std::string::npos);
}

TEST_CASE("every task runs an LTX-2.3 checkpoint in the engine process, as the editor does") {
    const std::string fixtures = TANDEM_LTX2_FIXTURES;
    const std::string out = tempPath("ltx-engine.mp4");
    const Result r = run("generate --engine --model " + fixtures + "/ltx-tiny.safetensors --text-encoder " + fixtures +
                         "/gemma --prompt 'a red circle' --size 32x24 --seconds 1 --fps 16 --steps 2 --threads 1 -o " +
                         out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("step 2/2") != std::string::npos);
    const auto info = tandem::render::probe(out);
    REQUIRE(info.firstVideo());
    REQUIRE(info.firstAudio());
    CHECK(info.firstVideo()->width == 32);
    CHECK(info.firstVideo()->height == 24);
    CHECK(info.firstVideo()->duration == Approx(17.0 / 16).margin(1.0 / 16));

    // Image → shot: the picture (here a clip's first frame) conformed to the delivery size and kept as the
    // first latent frame.
    const std::string picture = tempPath("ltx-first-frame.mp4");
    tandem::test::writeTestMovie(picture, {64, 48, 4, 16.0, 16000});
    const std::string imageOut = tempPath("ltx-image.mp4");
    const Result image = run("image --model " + fixtures + "/ltx-tiny.safetensors --text-encoder " + fixtures +
                             "/gemma --input " + picture + " --prompt 'a red circle' --size 32x24 --seconds 1 "
                             "--fps 16 --steps 2 --threads 1 -o " + imageOut);
    INFO(image.output);
    REQUIRE(image.status == 0);
    const auto imageInfo = tandem::render::probe(imageOut);
    REQUIRE(imageInfo.firstVideo());
    CHECK(imageInfo.firstVideo()->width == 32);
    REQUIRE(imageInfo.firstAudio());
    // The editing tasks run the same way: a retake of the image → shot's middle, a dub of the clip's sound.
    const std::string ltxModel = "--model " + fixtures + "/ltx-tiny.safetensors --text-encoder " + fixtures +
                                 "/gemma --size 32x24 --fps 16 --steps 1 --threads 1 ";
    const std::string retakeOut = tempPath("ltx-retake.mp4");
    const Result retake = run("retake " + ltxModel + "--input " + imageOut + " --start 0.25 --end 0.5 --prompt 'a blue "
                              "wall' -o " + retakeOut);
    INFO(retake.output);
    REQUIRE(retake.status == 0);
    const auto retakeInfo = tandem::render::probe(retakeOut);
    REQUIRE(retakeInfo.firstVideo());
    REQUIRE(retakeInfo.firstAudio());
    CHECK(retakeInfo.firstVideo()->width == 32);
    CHECK(retakeInfo.firstVideo()->duration == Approx(imageInfo.firstVideo()->duration).margin(1.0 / 16));
    const std::string dubOut = tempPath("ltx-dub.mp4");
    const Result dub = run("dub " + ltxModel + "--input " + picture + " --prompt 'a face speaks' -o " + dubOut);
    INFO(dub.output);
    CHECK(dub.status == 0);
    CHECK(tandem::render::probe(dubOut).firstVideo());
    // What LTX-2.3 cannot do yet is refused by reason, and nothing is written.
    const std::string none = tempPath("ltx-engine-none.mp4");
    const Result withRefs = run("generate --engine " + ltxModel + "--refs " + picture + " --prompt x -o " + none);
    CHECK(withRefs.status != 0);
    CHECK(withRefs.output.find("references are not ported") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(none));

    // A delivery size the model cannot make stops the engine before it serves, with the reason.
    const Result bad = run("generate --engine --model " + fixtures + "/ltx-tiny.safetensors --text-encoder " + fixtures +
                           "/gemma --prompt x --size 30x24 --threads 1 -o " + none);
    CHECK(bad.status != 0);
    CHECK(bad.output.find("multiples of 8") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(none));
}

TEST_CASE("tandem-train measures a diffusion stage's weights into metrics.csv, keeping an older file's columns") {
    // The smallest run that ends a diffusion stage (which always evaluates): the tiny model's sizes, two
    // steps, one evaluation seed of one second.
    const std::string recipe = tempPath("tiny-recipe.json");
    std::ofstream(recipe) << R"({"log_every":1,"checkpoint_every":10,"model":{"name":"tiny","video":{"width":32,"height":32,
        "vae_channels":8},"audio":{"vae_channels":8},"text":{"width":32,"layers":1},"dit":{"width":32,"heads":2,"layers":1}},
        "stages":[{"name":"dit","steps":2,"batch":1,"clip_seconds":0.5,"warmup_steps":1,"pool_size":2}]})";
    // started: how the trainer is started; the evaluation runs the tandem-cli installed beside it.
    const auto train = [&](const std::string& out, const std::string& started = TANDEM_TRAIN) {
        const Result r = runCommand(started + " run --recipe " + recipe + " --out " + out +
                                    " --threads 1 --eval-seeds 1003 --eval-tasks generate,dub --eval-seconds 1 2>&1");
        INFO(r.output);
        REQUIRE(r.status == 0);
        CHECK(r.output.find("eval dit step 2") != std::string::npos);
    };
    const auto lines = [](const std::string& path) {
        std::vector<std::string> out;
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    };
    const auto cells = [](const std::string& line) { return size_t(std::count(line.begin(), line.end(), ',')) + 1; };

    const std::string fresh = tempPath("train-fresh");
    std::filesystem::remove_all(fresh);
    train(fresh);
    const auto rows = lines(fresh + "/metrics.csv");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].rfind("stage,step,seconds,adherence_all,", 0) == 0);
    CHECK(rows[0].find(",colour_frames,") != std::string::npos);
    CHECK(rows[0].find(",dub_within_1_frame") != std::string::npos);
    CHECK(rows[1].rfind("dit,2,", 0) == 0);
    CHECK(cells(rows[1]) == cells(rows[0]));

    // A folder whose metrics.csv has the columns of an earlier version gets rows in those columns.
    const std::string older = tempPath("train-older");
    std::filesystem::remove_all(older);
    std::filesystem::create_directories(older);
    const std::string oldHeader = "stage,step,seconds,adherence_all,adherence_colour,dub_lip_correlation";
    std::ofstream(older + "/metrics.csv") << oldHeader << "\n";
    train(older);
    const auto oldRows = lines(older + "/metrics.csv");
    REQUIRE(oldRows.size() == 2);
    CHECK(oldRows[0] == oldHeader);
    CHECK(oldRows[1].rfind("dit,2,", 0) == 0);
    CHECK(cells(oldRows[1]) == cells(oldHeader));

    // Started by name through PATH from another folder (as an installed trainer is), it still finds the
    // tandem-cli beside it rather than looking in the working folder.
    const std::string viaPath = tempPath("train-via-path");
    std::filesystem::remove_all(viaPath);
    const std::string programs = std::filesystem::path(TANDEM_TRAIN).parent_path().string();
    train(viaPath, "cd " + std::filesystem::temp_directory_path().string() + " && PATH=" + programs + ":$PATH tandem-train");
    CHECK(lines(viaPath + "/metrics.csv").size() == 2);
}
