// Design note: the pictures in the README come from the real editor, not mock-ups. `tandem --screenshots DIR
// media…` opens the media, then walks through what a creator does — the sequence, painting a mask, a
// generation running on the engine, the export dialog — saving the window at each step as DIR/NAME.png, and
// quits. packaging/screenshots.sh runs it under Xvfb.
#pragma once

#include <QString>

namespace tandem::ui {
class MainWindow;
}

namespace tandem::app {

// Runs the tour on a shown window with media already open; returns the exit status (0 = every picture saved).
int runScreenshotTour(ui::MainWindow& window, const QString& dir);

} // namespace tandem::app
