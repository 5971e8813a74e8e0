#include "model/checkpoint.h"
#include "model/engine.h"
#include "model/tandem_model.h"

#include "support/tiny_model.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace tandem::model;
namespace fs = std::filesystem;

namespace {

// A new folder on every call (sections rerun the case): never removing a full folder keeps these tests off
// std::filesystem::remove_all, which a PyTorch wheel's libtorch.so (2.11.0+cu130) exports in a broken copy
// that programs linked against it can bind to — it crashed here on a GPU machine.
std::string tempDir(const std::string& name) {
    static int calls = 0;
    const fs::path d = fs::temp_directory_path() /
                       ("tandem-ckpt-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(++calls));
    fs::create_directories(d);
    return d.string();
}

// A safetensors file from a raw header and data, for building malformed files by hand.
std::string rawFile(const std::string& path, const std::string& header, const std::string& data,
                    uint64_t claimedLength = UINT64_MAX) {
    const uint64_t len = claimedLength == UINT64_MAX ? header.size() : claimedLength;
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
    out << header << data;
    return path;
}

std::string errorOf(const std::string& path) {
    try {
        SafetensorsFile f(path);
    } catch (const CheckpointError& e) {
        return e.what();
    }
    return {};
}

ModelConfig tiny() { return tandem::test::tinyModelConfig(); }

} // namespace

TEST_CASE("safetensors write → read round trip keeps names, dtypes, shapes, bytes and metadata") {
    const std::string path = tempDir("rt") + "/t.safetensors";
    std::vector<float> a = {1, 2, 3, 4, 5, 6};
    std::vector<uint16_t> b = {0x3c00, 0x4000}; // 1.0 and 2.0 in F16
    std::vector<int64_t> c = {-7};
    writeSafetensors(path,
                     {{"a", DType::F32, {2, 3}, a.data(), a.size() * 4},
                      {"b", DType::F16, {2}, b.data(), 4},
                      {"c", DType::I64, {}, c.data(), 8}},
                     {{"k", "v"}});
    SafetensorsFile f(path);
    REQUIRE(f.tensors().size() == 3);
    CHECK(f.at("a").shape == std::vector<int64_t>{2, 3});
    CHECK(f.at("a").dtype == DType::F32);
    CHECK(std::memcmp(f.at("a").data, a.data(), 24) == 0);
    CHECK(f.at("b").dtype == DType::F16);
    CHECK(f.at("c").shape.empty());
    CHECK(f.metadata().at("k") == "v");
    CHECK_THROWS_WITH(f.at("zzz"), Catch::Contains("no tensor 'zzz'"));
    CHECK_FALSE(fs::exists(path + ".part"));
}

TEST_CASE("malformed safetensors files get clear errors, never a crash") {
    const std::string d = tempDir("bad");
    const std::string data(16, '\0');
    auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    };
    CHECK(errorOf(d + "/absent") .find("cannot open") != std::string::npos);
    {
        std::ofstream(d + "/short") << "abc";
        CHECK(errorOf(d + "/short").find("truncated") != std::string::npos);
    }
    CHECK(errorOf(rawFile(d + "/longhdr", "{}", "", 4096)).find("longer than the file") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/huge", "{}", "", 1ull << 40)).find("exceeds") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/json", "{\"a\": [", data)).find("not valid JSON") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/array", "[1, 2]", data)).find("not a JSON object") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/dtype", "{\"w\":" + entry("F128", "[2]", "[0,16]") + "}", data))
              .find("tensor 'w': unsupported dtype F128") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/shape", "{\"w\":" + entry("F32", "[3]", "[0,16]") + "}", data))
              .find("tensor 'w': shape and dtype need") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/negshape", "{\"w\":" + entry("F32", "[-4]", "[0,16]") + "}", data))
              .find("non-negative") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/range", "{\"w\":" + entry("F32", "[8]", "[0,32]") + "}", data))
              .find("outside the file") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/reversed", "{\"w\":" + entry("F32", "[0]", "[8,4]") + "}", data))
              .find("reversed") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/overlap",
                          "{\"a\":" + entry("F32", "[3]", "[0,12]") + ",\"b\":" + entry("F32", "[2]", "[8,16]") + "}", data))
              .find("overlap") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/overflow", "{\"w\":" + entry("F32", "[4294967296, 4294967296]", "[0,16]") + "}", data))
              .find("overflows") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0]}}", data))
              .find("data_offsets") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/dup", "{\"w\":" + entry("F32", "[1]", "[0,4]") + ",\"w\":" + entry("F32", "[2]", "[4,12]") + "}", data))
              .find("tensor 'w' is listed twice") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/deep", std::string(100000, '[') + std::string(100000, ']'), data)).find("not a JSON object") != std::string::npos);
    CHECK(errorOf(rawFile(d + "/meta", "{\"__metadata__\":{\"a\":1}}", data)).find("not a string") != std::string::npos);
    // Every error names the file it is about.
    CHECK(errorOf(d + "/overlap").rfind(d + "/overlap", 0) == 0);
}

TEST_CASE("a saved model loads back to identical outputs") {
    const std::string dir = tempDir("model");
    auto original = Engine::createUntrained(tiny(), EngineOptions{"cpu", 1}, 42);
    original->save(dir);
    CHECK(fs::exists(dir + "/config.json"));
    CHECK(fs::exists(dir + "/model.safetensors"));
    CHECK(fs::exists(dir + "/tokenizer.json"));
    auto loaded = Engine::load(dir, EngineOptions{"cpu", 1});
    CHECK(loaded->hasTrainedWeights());
    CHECK(loaded->config().name == "tiny");
    GenerateRequest r;
    r.prompt = "a ball";
    r.seconds = 0.5;
    r.steps = 2;
    const Shot a = original->generate(r), b = loaded->generate(r);
    CHECK(a.rgb == b.rgb);
    CHECK(a.audio == b.audio);
}

TEST_CASE("strict loading lists missing, unexpected and mis-shaped weights") {
    const std::string dir = tempDir("strict");
    ModelConfig c = tiny();
    TandemModel net(c);
    saveCheckpoint(dir, c, *net);
    const std::string weights = dir + "/model.safetensors";

    SECTION("a network with one more block misses its weights") {
        ModelConfig bigger = c;
        bigger.dit.layers = 2;
        TandemModel other(bigger);
        try {
            loadWeights(*other, SafetensorsFile(weights));
            FAIL("loaded");
        } catch (const CheckpointError& e) {
            const std::string m = e.what();
            CHECK(m.find("missing") != std::string::npos);
            CHECK(m.find("dit.blocks.1.") != std::string::npos);
            CHECK(m.find(weights) == 0);
        }
    }
    SECTION("a network with one block fewer finds unexpected weights") {
        ModelConfig two = c;
        two.dit.layers = 2;
        TandemModel bigNet(two);
        saveCheckpoint(dir, two, *bigNet);
        try {
            loadWeights(*net, SafetensorsFile(weights));
            FAIL("loaded");
        } catch (const CheckpointError& e) {
            CHECK(std::string(e.what()).find("unexpected") != std::string::npos);
        }
    }
    SECTION("a wider network reports shapes") {
        ModelConfig wide = c;
        wide.dit.width = 64;
        wide.dit.heads = 4;
        TandemModel other(wide);
        CHECK_THROWS_WITH(loadWeights(*other, SafetensorsFile(weights)), Catch::Contains("wrong shape"));
    }
    SECTION("a bad config.json is named") {
        std::ofstream(dir + "/config.json") << "{\"dit\": {\"width\": \"x\"}}";
        CHECK_THROWS_WITH(Engine::load(dir, EngineOptions{"cpu", 1}), Catch::Contains("config.json") && Catch::Contains("dit.width"));
    }
    SECTION("a missing or mismatched tokenizer is named") {
        fs::remove(dir + "/tokenizer.json");
        CHECK_THROWS_WITH(Engine::load(dir, EngineOptions{"cpu", 1}), Catch::Contains("tokenizer.json: missing"));
        std::ofstream(dir + "/tokenizer.json") << Tokenizer(c.text.max_tokens + 1).toJson();
        CHECK_THROWS_WITH(Engine::load(dir, EngineOptions{"cpu", 1}), Catch::Contains("differs from config.json"));
    }
    SECTION("a missing folder is named") {
        CHECK_THROWS_WITH(Engine::load(dir + "/nope", EngineOptions{"cpu", 1}), Catch::Contains("not a model folder"));
    }
}

TEST_CASE("half-precision checkpoints load into fp32 networks") {
    const std::string dir = tempDir("half");
    ModelConfig c = tiny();
    TandemModel net(c);
    saveCheckpoint(dir, c, *net, DType::F16);
    SafetensorsFile f(dir + "/model.safetensors");
    CHECK(f.at("dit.video_in.weight").dtype == DType::F16);
    TandemModel back(c);
    loadWeights(*back, f);
    auto w0 = net->dit->videoIn->weight, w1 = back->dit->videoIn->weight;
    CHECK(w1.scalar_type() == torch::kFloat32);
    CHECK(torch::allclose(w0, w1, 1e-3, 1e-3));
}

TEST_CASE("a tensor of the wrong kind of dtype is refused by name") {
    const std::string path = tempDir("dtype") + "/w.safetensors";
    torch::nn::Linear lin(2, 2);
    std::vector<int64_t> weight = {1, 2, 3, 4};
    std::vector<float> bias = {0.5f, 0.25f};
    writeSafetensors(path, {{"weight", DType::I64, {2, 2}, weight.data(), 32}, {"bias", DType::F32, {2}, bias.data(), 8}});
    CHECK_THROWS_WITH(loadWeights(*lin, SafetensorsFile(path)),
                      Catch::Contains("weight: file dtype I64 does not fit") && Catch::Contains(path));
    // NaN weights are refused too, naming the tensor.
    std::vector<float> bad = {1, NAN, 3, 4};
    writeSafetensors(path, {{"weight", DType::F32, {2, 2}, bad.data(), 16}, {"bias", DType::F32, {2}, bias.data(), 8}});
    CHECK_THROWS_WITH(loadWeights(*lin, SafetensorsFile(path)), Catch::Contains("'weight' holds NaN"));
}
