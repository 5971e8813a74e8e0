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
    double voicePitch = 0;          // the speaker's fundamental (Hz); 0 = drawn from the clip's seed
};

// What a caption leaves out: an object whose colour (and shape) a reference shows instead.
struct CaptionOptions {
    int hideColourOf = -1; // object index whose colour word is left out
    int hideShapeOf = -1;  // object index whose shape word becomes "object"
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
    double voicePitch = 0;                                    // Hz, when there is a speaker
};

// A random scene for `seed` at the given geometry.
SceneSpec randomScene(uint64_t seed, int width, int height, double fps, int sampleRate, double seconds);
// Simulates, draws and synthesises a scene. Deterministic: the same spec and seed give the same bytes.
Clip render(const SceneSpec& scene, uint64_t seed);
// The caption of a scene, dialogue in <S>…<E>.
std::string caption(const SceneSpec& scene, const CaptionOptions& options = {});
// A reference picture of one object: the object alone (on the floor, where `seed` puts it) in front of the
// wall `background`, as one frame at the scene's size — what a user drags from the bins to say "this
// thing". The caption then need not name its colour or shape.
std::vector<uint8_t> objectReference(const ObjectSpec& object, int background, int width, int height, uint64_t seed);
// A reference sound of a voice: the speaker of pitch `pitch` saying `words` alone (no other sound), for
// `seconds` at `sampleRate`.
std::vector<float> voiceReference(double pitch, const std::vector<std::string>& words, int sampleRate, double fps, double seconds,
                                  uint64_t seed);
// Dialogue words from syllables, as random scenes draw them.
std::vector<std::string> randomWords(uint64_t seed);
// The words captions use (for the tokenizer's known-word list).
std::vector<std::string> vocabulary();

} // namespace tandem::world
