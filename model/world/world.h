// Design note: the procedural audio-visual world Tandem trains on. Every clip comes from a seed: a scene
// graph (background, ambience, objects, maybe a speaking face) that is simulated, drawn and *heard* with
// the same clock, so its ground truth is exact — when each impact happens, how open the mouth is on each
// frame, where each object is, what colour it is. The caption is written from the scene graph, with
// dialogue in <S>…<E>. Everything is deterministic per seed and needs no library: it is fast enough to feed
// training on the fly and builds on a machine that has only LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::world {

enum class Shape { Circle, Square, Triangle };
enum class Motion { Bounce, Fall, Slide };
enum class Material { Wood, Metal, Rubber };
enum class Ambience { None, Rain, Wind };

struct Colour {
    const char* name;
    uint8_t r, g, b;
};
const std::vector<Colour>& palette();

struct ObjectSpec {
    Shape shape = Shape::Circle;
    int colour = 0; // index into palette()
    bool large = false;
    Motion motion = Motion::Bounce;
    Material material = Material::Wood;
};

struct Impact {
    double seconds = 0;
    int64_t frame = 0;
    int object = 0;
    double strength = 0; // 0..1, speed at contact
};

struct SceneSpec {
    int width = 128, height = 128;
    double fps = 16;
    int sampleRate = 16000;
    double seconds = 4;
    int background = 0; // palette index of the backdrop (dimmed)
    Ambience ambience = Ambience::None;
    std::vector<ObjectSpec> objects;
    bool speaker = false;           // a face that speaks the dialogue
    std::vector<std::string> words; // dialogue, from syllables
};

struct Clip {
    SceneSpec scene;
    std::string caption;
    int64_t frames = 0;
    std::vector<uint8_t> rgb; // frames × height × width × 3
    std::vector<float> audio; // mono
    // Ground truth
    std::vector<Impact> impacts;
    std::vector<std::vector<std::pair<float, float>>> tracks; // per object, per frame: centre (pixels)
    std::vector<float> mouthOpenness;                         // per frame, 0..1 (empty without a speaker)
    std::vector<float> speechEnvelope;                        // per frame, RMS of the voice alone
};

// A random scene for `seed` at the given geometry.
SceneSpec randomScene(uint64_t seed, int width, int height, double fps, int sampleRate, double seconds);
// Simulates, draws and synthesises a scene. Deterministic: the same spec and seed give the same bytes.
Clip render(const SceneSpec& scene, uint64_t seed);
// The caption of a scene, dialogue in <S>…<E>.
std::string caption(const SceneSpec& scene);
// The words captions use (for the tokenizer's known-word list).
std::vector<std::string> vocabulary();

} // namespace tandem::world
