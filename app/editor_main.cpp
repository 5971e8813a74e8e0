// tandem: the editor. Opens a project bundle (NAME.tandem) or media files named on the command line and plays them.
#include "app/screenshot_tour.h"
#include "model/model_folder.h"
#include "ui/main_window.h"
#include "ui/playback.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>

namespace {

// Whether a LibTorch library is mapped into this process (it never should be: the engine is another process).
bool torchLoaded() {
    QFile maps(QStringLiteral("/proc/self/maps"));
    return maps.open(QIODevice::ReadOnly) && maps.readAll().contains("libtorch");
}

} // namespace

int main(int argc, char** argv) {
    QElapsedTimer sinceMain;
    sinceMain.start();
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Tandem"));
    QApplication::setOrganizationName(QStringLiteral("Tandem"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Tandem: generate, repair and assemble shots with sound."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("A project (NAME.tandem) or media files to open."),
                                 QStringLiteral("[project | media...]"));
    QCommandLineOption noPlay(QStringLiteral("no-play"), QStringLiteral("Do not start playback on open."));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a picture of the window to FILE and quit."),
                                  QStringLiteral("FILE"));
    QCommandLineOption screenshots(QStringLiteral("screenshots"),
                                   QStringLiteral("Walk through the editor (sequence, mask painting, a generation, export) saving "
                                                  "DIR/*.png, then quit."),
                                   QStringLiteral("DIR"));
    QCommandLineOption reportReady(QStringLiteral("report-ready"),
                                   QStringLiteral("Print when the window is shown and idle (and whether torch is loaded), then quit."));
    parser.addOption(noPlay);
    parser.addOption(screenshot);
    parser.addOption(screenshots);
    parser.addOption(reportReady);
    parser.process(app);

    tandem::ui::MainWindowOptions options;
    options.modelDir = QString::fromStdString(tandem::model::defaultModelDir(QCoreApplication::applicationDirPath().toStdString()));
    tandem::ui::MainWindow window(options);
    for (const QString& path : parser.positionalArguments()) {
        QString error;
        const bool isProject = path.endsWith(QLatin1String(".tandem")) || QFileInfo(path).isDir();
        if (!(isProject ? window.openProject(path, &error) : window.openMedia(path, &error))) {
            std::fprintf(stderr, "tandem: %s\n", qPrintable(error));
            return 1;
        }
    }
    window.show();
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(1500, &window, [&window, file] {
            const bool ok = window.grab().save(file);
            std::fprintf(ok ? stdout : stderr, ok ? "saved %s\n" : "tandem: cannot save %s\n", qPrintable(file));
            QApplication::exit(ok ? 0 : 1);
        });
    }
    if (parser.isSet(screenshots)) {
        const QString dir = parser.value(screenshots);
        QTimer::singleShot(1000, &window, [&window, dir] { QApplication::exit(tandem::app::runScreenshotTour(window, dir)); });
        return app.exec();
    }
    if (parser.isSet(reportReady)) {
        // The first turn of the event loop after show: the window is painted and takes input.
        QTimer::singleShot(0, &window, [&sinceMain] {
            std::printf("ready %.1f ms after main; torch loaded: %s\n", double(sinceMain.nsecsElapsed()) / 1e6,
                        torchLoaded() ? "yes" : "no");
            QApplication::exit(torchLoaded() ? 1 : 0);
        });
        return app.exec();
    }
    if (!parser.isSet(noPlay) && !parser.positionalArguments().isEmpty()) window.playback().play();
    return app.exec();
}
