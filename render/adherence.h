// Design note: does a shot show what its prompt asked for? Checks one described object against the pixels:
// its colour is present, its outline has the named shape, and its track moves the named way. OpenCV does
// the pixel work (colour masks, contours, polygon fits). Used by the model evaluation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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
    bool hidden = false;    // touching another object (or the face) on every frame: its outline cannot be seen
    std::string seenShape;  // what the outline looked like
    std::string seenMotion; // what the track did
    double colourFrames = 0; // the share of frames its colour is seen on (colour needs kColourFrames of them)
    double copyFrames = 0;   // of the frames its colour is seen on, the share showing it more than once
    bool copies = false;     // drawn more than once on at least kCopyFrames of them: the shot has a copy
    bool all() const { return colour && shape && motion; }
};

inline constexpr double kColourFrames = 0.6;
// A second blob of the object's colour counts as a copy when it is at least kCopyArea of the largest one's
// area (smaller specks are noise, a split edge, a reflection); a copy seen on a minority of frames is a
// passing split (a blob cut by an occluder), so it takes kCopyFrames of them.
inline constexpr double kCopyArea = 0.4, kCopyFrames = 0.5;

// Colour: present (≥ minPixels) in at least kColourFrames of the frames. Copies: more than one sizeable
// blob of that colour on at least kCopyFrames of the frames it is seen on. Shape: how much of its bounding
// box the largest blob of that colour fills, voted over the frames where it is whole. Motion: its track over
// the whole clip (travel across at one height, a descent, a climb after it). `others`: the colours of the
// scene's other objects; a frame where the blob touches one of them (or the face) does not vote on the shape.
Adherence checkObject(const uint8_t* frames, int64_t count, int width, int height, const ObjectDescription& object,
                      const std::vector<std::array<uint8_t, 3>>& others = {}, int tolerance = 40, int minPixels = 12);

// What a shot shows besides its objects: the wall's colour (median over the wall, above the floor), rain
// (thin grey streaks brighter than the wall on both sides), wind (thin blades of grass over the floor) and a
// face (skin-coloured area on at least half of the frames). Each "seen" needs the thing on the median frame.
struct SceneSeen {
    std::array<uint8_t, 3> backdrop{};
    bool rain = false, wind = false, face = false;
    int rainPixels = 0, windPixels = 0, facePixels = 0; // on the median frame
};
inline constexpr double kRainPixelFraction = 0.003, kWindPixelFraction = 0.002, kFacePixelFraction = 0.012;
inline constexpr uint8_t kGrassRgb[3] = {60, 160, 60};
SceneSeen seeScene(const uint8_t* frames, int64_t count, int width, int height);

// The colour of `colours` nearest in hue to `rgb` (largest cosine between the two as vectors, so a dimmed
// wall matches its full colour); -1 for a black pixel or an empty list.
int nearestHue(const std::array<uint8_t, 3>& rgb, const std::vector<std::array<uint8_t, 3>>& colours);

} // namespace tandem::render
