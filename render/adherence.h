// Design note: does a shot show what its prompt asked for? Checks one described object against the pixels:
// its colour is present, its outline has the named shape, and its track moves the named way. OpenCV does
// the pixel work (colour masks, contours, polygon fits). Used by the model evaluation.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::render {

enum class ShapeKind { Circle, Square, Triangle };
enum class MotionKind { Bounce, Fall, Slide };

struct ObjectDescription {
    uint8_t rgb[3] = {0, 0, 0};
    ShapeKind shape = ShapeKind::Circle;
    MotionKind motion = MotionKind::Bounce;
};

struct Adherence {
    bool colour = false, shape = false, motion = false;
    std::string seenShape;  // what the outline looked like
    std::string seenMotion; // what the track did
    bool all() const { return colour && shape && motion; }
};

// Colour: present (≥ minPixels) in at least 60 % of frames. Shape: the largest blob of that colour on the
// frame where it is largest. Motion: landings and horizontal travel of its track.
Adherence checkObject(const uint8_t* frames, int64_t count, int width, int height, const ObjectDescription& object,
                      int tolerance = 40, int minPixels = 12);

} // namespace tandem::render
