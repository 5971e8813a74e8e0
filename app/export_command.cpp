#include "app/export_command.h"

#include "app/cli_args.h"
#include "app/progress_line.h"
#include "app/project_input.h"
#include "render/exporter.h"
#include "render/media_error.h"
#include "timeline/paths.h"
#include "timeline/plan.h"
#include "ui/sequence_render.h"

#include <QFileInfo>

#include <cstdio>
#include <iostream>

namespace tandem::app {

const char* kExportUsage = R"(usage: tandem-cli export NAME.tandem -o OUT.mp4 [--sequence NAME] [--preset P]

Renders a sequence of a project — video tracks layered with their opacity, audio tracks mixed with clip
gain and track mute — to an MP4 (H.264 + AAC 48 kHz stereo). The file appears only when it is complete;
Ctrl+C cancels and leaves nothing behind.

options:
  --sequence NAME   which sequence (default: the first)
  --preset P        1080p (1920×1080, default) | 720p | 360p (a quick draft) | vertical (1080×1920) |
                    sequence (the sequence's own size); pictures keep their aspect inside it
  --quiet           no progress line
)";

namespace {

struct Preset {
    const char* name;
    int width, height;
};
constexpr Preset kPresets[] = {{"1080p", 1920, 1080}, {"720p", 1280, 720}, {"360p", 640, 360}, {"vertical", 1080, 1920}};

// The project's sequence as the renderer sees it: the plans' media resolved in the bundle; each sound file
// decoded once.
render::ExportJob jobFor(const ProjectInput& in, QStringList* offline) {
    const timeline::Sequence& seq = in.sequence();
    render::ExportJob job;
    job.fps = seq.time.fps.toDouble();
    job.frames = seq.duration();
    const timeline::TimeMap time = seq.time;
    job.firstSampleOfFrame = [time](int64_t frame) { return time.samplesForFrames(frame); };
    const ui::MediaResolver resolve = [&](const QString& media) {
        const QString file = timeline::resolveInBundle(in.bundle, media);
        return file.isEmpty() || !QFileInfo(file).isFile() ? std::string() : file.toStdString();
    };
    job.video = ui::pictureTracks(timeline::picturePlan(in.state, seq), resolve, offline);
    ui::SoundLibrary sounds(/*unreadableIsSilence=*/false);
    job.audio = ui::soundTracks(timeline::soundPlan(in.state, seq), resolve, sounds, offline);
    return job;
}

} // namespace

int runExport(const std::vector<std::string>& words) {
    Args args(words, "export", {"output", "sequence", "preset"}, {"quiet"}, {{"-o", "--output"}});
    if (args.positional().size() != 1) throw UsageError("export needs exactly one project (NAME.tandem)");
    const std::string out = args.required("output");
    const ProjectInput in = openProjectInput(args.positional()[0], args.text("sequence"));
    const timeline::Sequence* seq = &in.sequence();
    QStringList offline;
    render::ExportJob job = jobFor(in, &offline);
    const std::string preset = args.text("preset", "1080p");
    if (preset == "sequence") {
        job.width = seq->width;
        job.height = seq->height;
    } else {
        const Preset* p = nullptr;
        for (const Preset& candidate : kPresets)
            if (preset == candidate.name) p = &candidate;
        if (!p) throw UsageError("--preset must be 1080p, 720p, 360p, vertical or sequence, got '" + preset + "'");
        job.width = p->width;
        job.height = p->height;
    }
    for (const QString& name : offline) std::cerr << "note: " << name.toStdString() << " is offline; its clips export as gaps\n";

    ProgressLine progress("export", args.has("quiet"));
    try {
        render::exportMovie(out, job, [&](int64_t done, int64_t total) { return progress(done, total); });
    } catch (const render::ExportCancelled&) {
        progress.finish();
        std::fprintf(stderr, "export cancelled; nothing was written to %s\n", out.c_str());
        return 130;
    }
    progress.finish();
    std::cout << out << ": " << job.width << "x" << job.height << ", " << job.frames << " frames at "
              << seq->time.fps.num << "/" << seq->time.fps.den << " fps\n";
    return 0;
}

} // namespace tandem::app
