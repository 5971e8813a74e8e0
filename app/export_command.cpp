#include "app/export_command.h"

#include "app/cli_args.h"
#include "app/progress_line.h"
#include "app/project_input.h"
#include "render/exporter.h"
#include "render/media_error.h"
#include "ui/sequence_render.h"

#include <QFileInfo>

#include <cstdio>
#include <iostream>

namespace tandem::app {

const char* kExportUsage = R"(usage: tandem-cli export NAME.tandem -o OUT.mp4|OUT.mov [--sequence NAME] [--preset P]
                         [--loudness LUFS] [--stems DIR] [--encoder E]

Renders a sequence of a project — video tracks layered with opacity, fades and cross-dissolves; audio
tracks mixed with clip gain and fades, track gain, pan, mute and solo. OUT.mp4: H.264 + AAC 48 kHz stereo;
OUT.mov: ProRes 422 HQ + 24-bit PCM. The file appears only when it is complete; Ctrl+C cancels and leaves
nothing behind.

options:
  --sequence NAME   which sequence (default: the first)
  --preset P        1080p (1920×1080, default) | 720p | 360p (a quick draft) | vertical (1080×1920) |
                    sequence (the sequence's own size); pictures keep their aspect inside it
  --loudness LUFS   normalise the mix to this integrated loudness (EBU R128), e.g. -14 for streaming,
                    -23 for broadcast; one gain for the whole programme, true peak kept under -1 dBTP
  --stems DIR       also write each audio track alone as DIR/<track>.wav (24-bit, 48 kHz, full length)
  --encoder E       H.264 encoder for MP4: auto (NVIDIA's h264_nvenc when it opens, else libx264; the
                    default) | libx264 | h264_nvenc
  --quiet           no progress line
)";

int runExport(const std::vector<std::string>& words) {
    Args args(words, "export", {"output", "sequence", "preset", "loudness", "stems", "encoder"}, {"quiet"},
              {{"-o", "--output"}});
    if (args.positional().size() != 1) throw UsageError("export needs exactly one project (NAME.tandem)");
    const std::string out = args.required("output");
    const ProjectInput in = openProjectInput(args.positional()[0], args.text("sequence"));
    const timeline::Sequence* seq = &in.sequence();
    QStringList offline;
    render::ExportJob job = ui::exportJobFor(in.state, *seq, in.bundle, &offline);
    const std::string preset = args.text("preset", "1080p");
    const ui::ExportPreset* p = ui::findExportPreset(preset);
    if (!p) throw UsageError("--preset must be 1080p, 720p, 360p, vertical or sequence, got '" + preset + "'");
    job.width = p->width ? p->width : seq->width;
    job.height = p->height ? p->height : seq->height;
    const std::string suffix = QFileInfo(QString::fromStdString(out)).suffix().toLower().toStdString();
    if (suffix != "mp4" && suffix != "mov") throw UsageError("the output must end in .mp4 (H.264) or .mov (ProRes 422 HQ)");
    job.container = suffix;
    job.h264Encoder = args.text("encoder", "auto");
    if (job.h264Encoder != "auto" && job.h264Encoder != "libx264" && job.h264Encoder != "h264_nvenc")
        throw UsageError("--encoder must be auto, libx264 or h264_nvenc, got '" + job.h264Encoder + "'");
    if (args.has("loudness")) job.loudnessTarget = args.number("loudness", -14, -60, 0);
    for (const QString& name : offline) std::cerr << "note: " << name.toStdString() << " is offline; its clips export as gaps\n";

    ProgressLine progress("export", args.has("quiet"));
    render::ExportReport report;
    std::vector<std::string> stems;
    try {
        stems = ui::exportWithStems(out, job, args.text("stems"), &report,
                                    [&](int64_t done, int64_t total) { return progress(done, total); });
    } catch (const render::ExportCancelled&) {
        progress.finish();
        std::fprintf(stderr, "export cancelled; nothing was written to %s\n", out.c_str());
        return 130;
    }
    progress.finish();
    std::cout << out << ": " << job.width << "x" << job.height << ", " << job.frames << " frames at "
              << seq->time.fps.num << "/" << seq->time.fps.den << " fps, " << report.videoEncoder << "\n";
    if (report.measured) {
        std::printf("loudness: measured %.1f LUFS (true peak %.1f dBTP), gain %+.1f dB%s\n", report.measured->integratedLufs,
                    report.measured->truePeakDb, report.gainDb,
                    report.peakLimited ? " (held under the -1 dBTP ceiling, so quieter than the target)" : "");
    }
    for (const std::string& file : stems) std::cout << "stem " << file << "\n";
    return 0;
}

} // namespace tandem::app
