#include "model/world/world.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace tandem::world {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Own uniform helpers: std::uniform_*_distribution differs between standard libraries, the engine's output
// must not.
struct Rng {
    std::mt19937_64 gen;
    explicit Rng(uint64_t seed) : gen(seed) {}
    double uniform() { return double(gen() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    int below(int n) { return int(uniform() * n) % n; }
    double normal() { return std::sqrt(-2 * std::log(1 - uniform())) * std::cos(2 * kPi * uniform()); }
};

const char* shapeName(Shape s) { return s == Shape::Circle ? "circle" : s == Shape::Square ? "square" : "triangle"; }
const char* motionName(Motion m) { return m == Motion::Bounce ? "bounces" : m == Motion::Fall ? "falls" : "slides"; }
const char* materialName(Material m) { return m == Material::Wood ? "wooden" : m == Material::Metal ? "metal" : "rubber"; }

const char* kConsonants[] = {"b", "m", "t", "l", "n", "p", "d", "k"};
const char* kVowels[] = {"a", "e", "i", "o", "u"};
// Formants (Hz) and how open the mouth is for each vowel.
struct Vowel {
    double f1, f2, f3, open;
};
constexpr Vowel kVowelShapes[] = {{730, 1090, 2440, 1.0}, {530, 1840, 2480, 0.6}, {270, 2290, 3010, 0.3},
                                  {570, 840, 2410, 0.7},  {300, 870, 2240, 0.35}};

std::vector<std::string> drawWords(Rng& rng) {
    std::vector<std::string> out;
    const int words = 1 + rng.below(3);
    for (int w = 0; w < words; ++w) {
        std::string word;
        for (int k = 0, n = 1 + rng.below(2); k < n; ++k) word += std::string(kConsonants[rng.below(8)]) + kVowels[rng.below(5)];
        out.push_back(word);
    }
    return out;
}

struct Body {
    double x, y, vx, vy, r;
};

// Two-pole resonator (a formant filter) at `freq` with bandwidth `bw`.
struct Resonator {
    double a1 = 0, a2 = 0, gain = 0, y1 = 0, y2 = 0;
    Resonator(double freq, double bw, int rate) {
        const double r = std::exp(-kPi * bw / rate);
        a1 = 2 * r * std::cos(2 * kPi * freq / rate);
        a2 = -r * r;
        gain = 1 - r;
    }
    double step(double x) {
        const double y = gain * x + a1 * y1 + a2 * y2;
        y2 = y1;
        y1 = y;
        return y;
    }
};

void fillShape(Clip& c, Shape shape, double cx, double cy, double r, const Colour& col) {
    const int W = c.scene.width, H = c.scene.height;
    const int x0 = std::max(0, int(cx - r - 1)), x1 = std::min(W - 1, int(cx + r + 1));
    const int y0 = std::max(0, int(cy - r - 1)), y1 = std::min(H - 1, int(cy + r + 1));
    uint8_t* frame = c.rgb.data() + (c.rgb.size() - size_t(W) * H * 3);
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            bool inside = false;
            if (shape == Shape::Circle) inside = dx * dx + dy * dy <= r * r;
            else if (shape == Shape::Square) inside = std::abs(dx) <= r * 0.85 && std::abs(dy) <= r * 0.85;
            else inside = dy <= r * 0.8 && dy >= -r && std::abs(dx) <= (dy + r) * 0.55; // apex up
            if (!inside) continue;
            uint8_t* p = frame + (size_t(y) * W + x) * 3;
            p[0] = col.r;
            p[1] = col.g;
            p[2] = col.b;
        }
}

void addImpactSound(std::vector<float>& audio, int rate, const Impact& hit, const ObjectSpec& o) {
    double base = o.material == Material::Wood ? 320 : o.material == Material::Metal ? 880 : 160;
    const double decay = o.material == Material::Wood ? 0.06 : o.material == Material::Metal ? 0.35 : 0.03;
    if (o.large) base *= 0.6;
    const double ratios[] = {1.0, 2.76, 5.4};
    const int64_t start = int64_t(std::llround(hit.seconds * rate));
    const int64_t length = int64_t(decay * 6 * rate);
    Rng noise(uint64_t(start) * 2654435761u + uint64_t(hit.object));
    for (int64_t i = 0; i < length && start + i < int64_t(audio.size()); ++i) {
        const double t = double(i) / rate;
        double s = 0;
        for (int m = 0; m < 3; ++m) s += std::sin(2 * kPi * base * ratios[m] * t) * std::exp(-t * (m + 1) / decay) / (m + 1);
        if (t < 0.005) s += (noise.uniform() * 2 - 1) * (1 - t / 0.005); // the contact click
        audio[size_t(start + i)] += float(0.6 * hit.strength * s);
    }
}

} // namespace

const std::vector<Colour>& palette() {
    static const std::vector<Colour> p = {{"red", 220, 40, 40},    {"green", 40, 190, 70},  {"blue", 50, 90, 230},
                                          {"yellow", 235, 210, 40}, {"white", 240, 240, 240}, {"purple", 150, 60, 200},
                                          {"orange", 245, 140, 30}};
    return p;
}

SceneSpec randomScene(uint64_t seed, int width, int height, double fps, int sampleRate, double seconds) {
    Rng rng(seed * 0x9E3779B97F4A7C15ull + 1);
    SceneSpec s;
    s.width = width;
    s.height = height;
    s.fps = fps;
    s.sampleRate = sampleRate;
    s.seconds = seconds;
    s.background = rng.below(int(palette().size()));
    s.ambience = Ambience(rng.below(3));
    const int count = 1 + rng.below(2);
    for (int i = 0; i < count; ++i) {
        ObjectSpec o;
        o.shape = Shape(rng.below(3));
        do o.colour = rng.below(int(palette().size()));
        while (o.colour == s.background);
        o.large = rng.below(2) == 1;
        o.motion = Motion(rng.below(3));
        o.material = Material(rng.below(3));
        s.objects.push_back(o);
    }
    s.speaker = rng.below(2) == 1;
    if (s.speaker) s.words = drawWords(rng);
    return s;
}

std::vector<std::string> randomWords(uint64_t seed) {
    Rng rng(seed * 0xBF58476D1CE4E5B9ull + 7);
    return drawWords(rng);
}

std::vector<uint8_t> objectReference(const ObjectSpec& object, int background, int width, int height, uint64_t seed) {
    SceneSpec s;
    s.width = width;
    s.height = height;
    s.seconds = 1.0 / s.fps;
    s.background = background;
    ObjectSpec o = object;
    o.motion = Motion::Slide; // on the floor from the first frame, where nothing hides it
    s.objects = {o};
    return render(s, seed).rgb;
}

std::vector<float> voiceReference(double pitch, const std::vector<std::string>& words, int sampleRate, double fps, double seconds,
                                  uint64_t seed) {
    SceneSpec s;
    s.fps = fps;
    s.sampleRate = sampleRate;
    s.seconds = seconds;
    s.speaker = true;
    s.words = words;
    s.voicePitch = pitch;
    return render(s, seed).audio;
}

std::string caption(const SceneSpec& s, const CaptionOptions& options) {
    std::string out;
    for (size_t i = 0; i < s.objects.size(); ++i) {
        const ObjectSpec& o = s.objects[i];
        const bool hideColour = options.hideColourOf == int(i), hideShape = options.hideShapeOf == int(i);
        out += std::string(i ? ", " : "") + "a " + (o.large ? "large " : "small ") +
               (hideColour ? std::string() : std::string(palette()[o.colour].name) + " ") + materialName(o.material) + " " +
               (hideShape ? "object" : shapeName(o.shape)) + " " + motionName(o.motion);
    }
    out += std::string(" in front of a ") + palette()[s.background].name + " wall";
    if (s.ambience == Ambience::Rain) out += "; rain falls";
    if (s.ambience == Ambience::Wind) out += "; wind blows";
    if (s.speaker) {
        out += "; a face says <S>";
        for (size_t i = 0; i < s.words.size(); ++i) out += (i ? " " : "") + s.words[i];
        out += "<E>";
    }
    return out;
}

std::vector<std::string> vocabulary() {
    std::vector<std::string> v = {"a", "large", "small", "in", "front", "of", "wall", "rain", "falls", "wind", "blows", "face", "says", "object"};
    for (const auto& c : palette()) v.push_back(c.name);
    for (Shape s : {Shape::Circle, Shape::Square, Shape::Triangle}) v.push_back(shapeName(s));
    for (Motion m : {Motion::Bounce, Motion::Fall, Motion::Slide}) v.push_back(motionName(m));
    for (Material m : {Material::Wood, Material::Metal, Material::Rubber}) v.push_back(materialName(m));
    return v;
}

Clip render(const SceneSpec& s, uint64_t seed) {
    Rng rng(seed ^ 0xD1B54A32D192ED03ull);
    Clip c;
    c.scene = s;
    c.caption = caption(s);
    c.frames = std::max<int64_t>(1, std::llround(s.seconds * s.fps));
    const int W = s.width, H = s.height, rate = s.sampleRate;
    const int64_t samples = std::llround(double(c.frames) / s.fps * rate);
    c.audio.assign(size_t(samples), 0.f);
    const double floorY = H * 0.85, gravity = H * 3.0;

    // --- Motion, simulated in fine sub-steps so impact times are exact to a few milliseconds.
    const int substeps = 16;
    const double dt = 1.0 / (s.fps * substeps);
    std::vector<Body> bodies;
    for (const ObjectSpec& o : s.objects) {
        const double r = H * (o.large ? 0.11 : 0.07);
        Body b{rng.uniform(r + 2, W * 0.6), 0, 0, 0, r};
        if (o.motion == Motion::Bounce) b.y = rng.uniform(r + 2, H * 0.4), b.vx = rng.uniform(-0.1, 0.1) * W;
        if (o.motion == Motion::Fall) b.y = r + 1;
        if (o.motion == Motion::Slide) b.y = floorY - r, b.vx = rng.uniform(0.35, 0.6) * W * (rng.below(2) ? 1 : -1);
        bodies.push_back(b);
    }
    c.tracks.assign(bodies.size(), {});
    const double maxSpeed = std::sqrt(2 * gravity * floorY);
    for (int64_t f = 0; f < c.frames; ++f) {
        for (size_t i = 0; i < bodies.size(); ++i) c.tracks[i].push_back({float(bodies[i].x), float(bodies[i].y)});
        for (int k = 0; k < substeps; ++k) {
            const double t = (f * substeps + k + 1) * dt;
            for (size_t i = 0; i < bodies.size(); ++i) {
                Body& b = bodies[i];
                const ObjectSpec& o = s.objects[i];
                if (o.motion != Motion::Slide) b.vy += gravity * dt;
                b.x += b.vx * dt;
                b.y += b.vy * dt;
                if (o.motion != Motion::Slide && b.y + b.r >= floorY && b.vy > 0) {
                    const double speed = b.vy;
                    b.y = floorY - b.r;
                    b.vy = -speed * (o.motion == Motion::Bounce ? 0.72 : 0.15);
                    if (speed > H * 0.4) c.impacts.push_back({t, int64_t(t * s.fps), int(i), std::min(1.0, speed / maxSpeed)});
                    if (std::abs(b.vy) < H * 0.4) b.vy = 0;
                }
                if (b.x - b.r < 0 || b.x + b.r > W) {
                    const double speed = std::abs(b.vx);
                    b.x = std::clamp(b.x, b.r, W - b.r);
                    b.vx = -b.vx * 0.9;
                    if (o.motion == Motion::Slide && speed > W * 0.1)
                        c.impacts.push_back({t, int64_t(t * s.fps), int(i), std::min(1.0, speed / W)});
                }
            }
        }
    }
    std::sort(c.impacts.begin(), c.impacts.end(), [](const Impact& a, const Impact& b) { return a.seconds < b.seconds; });
    for (const Impact& hit : c.impacts) addImpactSound(c.audio, rate, hit, s.objects[size_t(hit.object)]);

    // --- Speech: syllables from a glottal pulse train through three formant resonators.
    std::vector<float> voice(c.audio.size(), 0.f);
    std::vector<float> openAt(c.audio.size(), 0.f); // how open the vowel being spoken is, per sample
    if (s.speaker) {
        const double drawn = rng.uniform(110, 210); // drawn either way: the rest of the clip stays the same
        const double f0 = s.voicePitch > 0 ? s.voicePitch : drawn;
        c.voicePitch = f0;
        double t = 0.3, phase = 0;
        const double syllable = 0.2;
        for (const std::string& word : s.words) {
            for (size_t k = 0; k + 1 < word.size(); k += 2) {
                const Vowel v = kVowelShapes[std::find_if(std::begin(kVowels), std::end(kVowels), [&](const char* x) { return x[0] == word[k + 1]; }) - std::begin(kVowels)];
                Resonator r1(v.f1, 90, rate), r2(v.f2, 110, rate), r3(v.f3, 150, rate);
                const int64_t from = std::llround(t * rate), n = std::llround(syllable * rate);
                for (int64_t i = 0; i < n && from + i < int64_t(voice.size()); ++i) {
                    const double u = double(i) / n;
                    const double env = std::sin(kPi * std::min(1.0, u * 1.25)) * (u < 0.1 ? 0.3 : 1.0); // consonant onset
                    phase += (f0 * (1 + 0.03 * std::sin(2 * kPi * 5 * (t + double(i) / rate)))) / rate;
                    const double pulse = phase - std::floor(phase) < 0.08 ? 1.0 : 0.0;
                    const double source = u < 0.1 ? (rng.uniform() * 2 - 1) * 0.5 : pulse;
                    const double y = r3.step(r2.step(r1.step(source) * 8) * 4) * 4;
                    voice[size_t(from + i)] = float(0.5 * env * y);
                    openAt[size_t(from + i)] = float(env * v.open);
                }
                t += syllable;
            }
            t += 0.12;
        }
        float peak = 1e-6f;
        for (float x : voice) peak = std::max(peak, std::abs(x));
        for (size_t i = 0; i < voice.size(); ++i) c.audio[i] += voice[i] * (0.5f / peak);
    }

    // --- Ambience, heard and seen.
    double lp = 0, hpPrev = 0, hpOut = 0;
    for (size_t i = 0; i < c.audio.size(); ++i) {
        const double n = rng.uniform() * 2 - 1;
        if (s.ambience == Ambience::Rain) {
            hpOut = 0.9 * (hpOut + n - hpPrev); // high-passed hiss
            hpPrev = n;
            c.audio[i] += float(0.06 * hpOut + (rng.uniform() < 0.002 ? 0.15 * n : 0));
        } else if (s.ambience == Ambience::Wind) {
            lp += 0.02 * (n - lp); // low-passed rumble that gusts
            c.audio[i] += float(0.5 * lp * (0.6 + 0.4 * std::sin(2 * kPi * 0.5 * double(i) / rate)));
        }
    }
    for (float& x : c.audio) x = float(std::tanh(x));

    // --- Per-frame ground truth for lips.
    const double samplesPerFrame = rate / s.fps;
    if (s.speaker) {
        for (int64_t f = 0; f < c.frames; ++f) {
            const size_t a = size_t(f * samplesPerFrame), b = std::min(voice.size(), size_t((f + 1) * samplesPerFrame));
            double energy = 0, open = 0;
            for (size_t i = a; i < b; ++i) energy += voice[i] * voice[i], open += openAt[i];
            c.speechEnvelope.push_back(float(std::sqrt(energy / std::max<size_t>(1, b - a))));
            c.mouthOpenness.push_back(float(open / std::max<size_t>(1, b - a)));
        }
        const float peak = std::max(1e-6f, *std::max_element(c.speechEnvelope.begin(), c.speechEnvelope.end()));
        for (float& e : c.speechEnvelope) e /= peak;
    }

    // --- Pictures.
    const Colour& bg = palette()[s.background];
    c.rgb.reserve(size_t(c.frames) * W * H * 3);
    for (int64_t f = 0; f < c.frames; ++f) {
        const double t = f / s.fps;
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const bool floor = y >= floorY;
                const double shade = floor ? 0.25 : 0.35 + 0.15 * y / H;
                c.rgb.push_back(uint8_t(floor ? 110 * shade * 2 : bg.r * shade));
                c.rgb.push_back(uint8_t(floor ? 70 * shade * 2 : bg.g * shade));
                c.rgb.push_back(uint8_t(floor ? 40 * shade * 2 : bg.b * shade));
            }
        uint8_t* frame = c.rgb.data() + size_t(f) * W * H * 3;
        if (s.ambience == Ambience::Rain) {
            Rng drops(seed + 77);
            for (int d = 0; d < W / 3; ++d) {
                const double x = drops.uniform(0, W), speed = drops.uniform(1.5, 2.5) * H, offset = drops.uniform(0, H);
                const int y0 = int(std::fmod(offset + speed * t, double(H)));
                for (int k = 0; k < H / 16; ++k)
                    if (y0 + k < H) std::fill_n(frame + (size_t(y0 + k) * W + size_t(x)) * 3, 3, uint8_t(200));
            }
        } else if (s.ambience == Ambience::Wind) {
            for (int blade = 0; blade < W; blade += 6) {
                const double sway = 0.5 * std::sin(2 * kPi * 0.5 * t + blade * 0.3);
                for (int k = 0; k < H / 8; ++k) {
                    const int x = blade + int(sway * k), y = int(floorY) - k;
                    if (x >= 0 && x < W && y >= 0) {
                        uint8_t* p = frame + (size_t(y) * W + x) * 3;
                        p[0] = 60, p[1] = 160, p[2] = 60;
                    }
                }
            }
        }
        for (size_t i = 0; i < s.objects.size(); ++i)
            fillShape(c, s.objects[i].shape, c.tracks[i][size_t(f)].first, c.tracks[i][size_t(f)].second, bodies[i].r,
                      palette()[s.objects[i].colour]);
        if (s.speaker) {
            const double hx = W * 0.78, hy = H * 0.38, hr = H * 0.16;
            fillShape(c, Shape::Circle, hx, hy, hr, Colour{"skin", 230, 190, 150});
            fillShape(c, Shape::Circle, hx - hr * 0.4, hy - hr * 0.3, hr * 0.12, Colour{"eye", 30, 30, 30});
            fillShape(c, Shape::Circle, hx + hr * 0.4, hy - hr * 0.3, hr * 0.12, Colour{"eye", 30, 30, 30});
            const double open = c.mouthOpenness[size_t(f)];
            const double mw = hr * 0.45, mh = std::max(1.0, hr * 0.5 * open);
            for (int y = int(hy + hr * 0.45 - mh / 2); y <= int(hy + hr * 0.45 + mh / 2); ++y)
                for (int x = int(hx - mw); x <= int(hx + mw); ++x)
                    if (x >= 0 && x < W && y >= 0 && y < H) {
                        uint8_t* p = frame + (size_t(y) * W + x) * 3;
                        p[0] = 90, p[1] = 20, p[2] = 30;
                    }
        }
    }
    return c;
}

} // namespace tandem::world
