// tandem: the editor. Opens a project bundle (NAME.tandem) or media files named on the command line and plays them.
#include "model/model_folder.h"
#include "ui/main_window.h"
#include "ui/playback.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv) {
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
    parser.addOption(noPlay);
    parser.addOption(screenshot);
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
    if (!parser.isSet(noPlay) && !parser.positionalArguments().isEmpty()) window.playback().play();
    return app.exec();
}
