#include "model/config.h"
#include "model/tokenizer.h"

#include <catch2/catch.hpp>

using namespace tandem::model;

TEST_CASE("config round-trips through JSON") {
    ModelConfig c;
    c.name = "tiny";
    c.video.width = 64;
    c.video.height = 32;
    c.dit.layers = 2;
    const ModelConfig back = ModelConfig::fromJson(c.toJson());
    CHECK(back.name == "tiny");
    CHECK(back.video.width == 64);
    CHECK(back.video.height == 32);
    CHECK(back.dit.layers == 2);
    CHECK(back.audio.hop == c.audio.hop);
}

TEST_CASE("a model's sampler defaults round-trip, and a config without them asks for no guidance") {
    ModelConfig c;
    c.sampler.video_guidance = 5.0;
    c.sampler.guidance_noise_floor = 0.75;
    const ModelConfig back = ModelConfig::fromJson(c.toJson());
    CHECK(back.sampler.video_guidance == 5.0);
    CHECK(back.sampler.audio_guidance == 1.0);
    CHECK(back.sampler.guidance_noise_floor == 0.75);
    const ModelConfig older = ModelConfig::fromJson(R"({"name": "before sampler defaults"})");
    CHECK(older.sampler.video_guidance == 1.0);
    CHECK(older.sampler.audio_guidance == 1.0);
    CHECK(older.sampler.guidance_noise_floor == 0.0);
    CHECK(older.sampler.tasks.empty());
    CHECK(older.sampler.cpu_precision == "fp32");
    c.sampler.cpu_precision = "bf16";
    CHECK(ModelConfig::fromJson(c.toJson()).sampler.cpu_precision == "bf16");
}

TEST_CASE("a task's own sampler entry overrides the shared fields it names and keeps the others") {
    const ModelConfig c = ModelConfig::fromJson(R"({"sampler": {"video_guidance": 5, "guidance_noise_floor": 0.5,
        "tasks": {"dub": {"video_guidance": 1}, "foley": {"audio_guidance": 3}}}})");
    CHECK(c.sampler.forTask("generate").video_guidance == 5.0);
    CHECK(c.sampler.forTask("dub").video_guidance == 1.0);
    CHECK(c.sampler.forTask("dub").guidance_noise_floor == 0.5);
    CHECK(c.sampler.forTask("foley").video_guidance == 5.0);
    CHECK(c.sampler.forTask("foley").audio_guidance == 3.0);
    const ModelConfig back = ModelConfig::fromJson(c.toJson());
    CHECK(back.sampler.forTask("dub").video_guidance == 1.0);
    CHECK(back.sampler.forTask("foley").audio_guidance == 3.0);
    CHECK(back.sampler.forTask("inpaint").video_guidance == 5.0);
}

TEST_CASE("bad configs are refused with a message naming the field") {
    auto refuses = [](const std::string& json, const std::string& fragment) {
        try {
            ModelConfig::fromJson(json);
        } catch (const std::invalid_argument& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(fragment) != std::string::npos);
            return;
        }
        FAIL("accepted " << json);
    };
    refuses("{", "not valid JSON");
    refuses("[1,2]", "top level");
    refuses(R"({"video": {"width": "wide"}})", "video.width");
    refuses(R"({"video": {"width": 100}})", "multiple");
    refuses(R"({"video": {"spatial_compression": 6}})", "power of two");
    refuses(R"({"dit": {"width": 100, "heads": 3}})", "divisible");
    refuses(R"({"audio": {"hop": 100}})", "audio.hop");
    refuses(R"({"video": 5})", "video must be an object");
    refuses(R"({"video": {"vae_channels": 48}})", "video.vae_channels");
    refuses(R"({"video": {"latent_channels": 6}})", "video.latent_channels");
    // Found by fuzzing: a number too big for the field was converted (undefined behaviour), not refused.
    refuses(R"({"dit": {"freq_dim": 12444444444444444444448}})", "dit.freq_dim");
    refuses(R"({"dit": {"layers": 3000000000}})", "dit.layers is out of range");
    refuses(R"({"dit": {"layers": 2.5}})", "dit.layers must be a whole number");
    refuses(R"({"video": {"patch_size": 0}})", "video.patch_size must be positive");
    refuses(R"({"audio": {"vae_kind": "wavenet"}})", "audio.vae_kind");
    refuses(R"({"video": {"vae_temporal_stages": -1}})", "video.vae_temporal_stages");
    refuses(R"({"sampler": {"video_guidance": -2}})", "sampler.guidance must be in [0, 50]");
    refuses(R"({"sampler": {"audio_guidance": 80}})", "sampler.guidance must be in [0, 50]");
    refuses(R"({"sampler": {"guidance_noise_floor": 1.5}})", "sampler.guidance_noise_floor");
    refuses(R"({"sampler": {"video_guidance": "strong"}})", "sampler.video_guidance has the wrong type");
    refuses(R"({"sampler": {"tasks": {"dance": {"video_guidance": 2}}}})", "unknown task \"dance\"");
    refuses(R"({"sampler": {"tasks": {"dub": {"guidance_noise_floor": -1}}}})", "sampler.tasks.dub.guidance_noise_floor");
    refuses(R"({"sampler": {"tasks": [1]}})", "sampler.tasks must be an object");
    refuses(R"({"sampler": {"cpu_precision": "fp16"}})", "sampler.cpu_precision must be");
    refuses(R"({"sampler": {"cpu_precision": 16}})", "sampler.cpu_precision has the wrong type");
}

TEST_CASE("the first autoencoder layouts stay loadable: plain audio stages, 3-D kernels at every video stage") {
    const ModelConfig first = ModelConfig::fromJson(R"({"audio": {"vae_kind": "plain"}, "video": {"vae_temporal_stages": 0}})");
    CHECK(first.audio.vae_kind == "plain");
    CHECK(ModelConfig::fromJson(first.toJson()).video.vae_temporal_stages == 0);
    const ModelConfig current = ModelConfig::fromJson("{}");
    CHECK(current.audio.vae_kind == "seanet");
    CHECK(current.video.vae_temporal_stages == 1);
}

TEST_CASE("dialogue in <S>…<E> is tokenised as speech") {
    Tokenizer tok(32);
    const Tokens t = tok.encode("a cat <S>hi<E> ok");
    REQUIRE(t.ids.size() == 32);
    // "a cat " = 6 scene bytes, then <S>, 'h', 'i', <E>, then " ok".
    CHECK(t.ids[6] == Tokenizer::kSpeechOpen);
    CHECK(t.segments[5] == 0);
    CHECK(t.segments[7] == 1);
    CHECK(t.segments[8] == 1);
    CHECK(t.ids[7] == Tokenizer::kFirstByte + 'h');
    CHECK(t.ids[9] == Tokenizer::kSpeechClose);
    CHECK(t.segments[10] == 0);
    CHECK(t.valid[12] == 1);
    CHECK(t.valid[13] == 0);
    CHECK_FALSE(t.truncated);
    CHECK(Tokenizer(4).encode("too long").truncated);
}

TEST_CASE("tokenizer.json round-trips and names the words a model does not know") {
    Tokenizer t(48, {"ball", "red", "bounces"});
    const Tokenizer back = Tokenizer::fromJson(t.toJson());
    CHECK(back.maxTokens() == 48);
    CHECK(back.knownWords() == t.knownWords());
    CHECK(back.unknownWords("A red Ball bounces on a trampoline <S>hello zebra<E>") ==
          std::vector<std::string>{"a", "on", "trampoline"});
    CHECK(Tokenizer(48).unknownWords("anything at all").empty()); // no vocabulary: no hints
    CHECK_THROWS_WITH(Tokenizer::fromJson("{}"), Catch::Contains("not a Tandem tokenizer"));
    CHECK_THROWS_WITH(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bpe"})"), Catch::Contains("unsupported tokenizer kind 'bpe'"));
    CHECK_THROWS_WITH(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":8,"byte_offset":3,
                                            "specials":{"<pad>":0,"<S>":2,"<E>":1}})"),
                      Catch::Contains("special token ids"));
    CHECK_THROWS_WITH(Tokenizer::fromJson("nope"), Catch::Contains("not valid JSON"));
    // Numbers an int cannot hold are refused, not converted (1e28 into an int: found by fuzzing).
    const std::string specials = R"("byte_offset":3,"specials":{"<pad>":0,"<S>":1,"<E>":2})";
    CHECK(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":8,)" + specials + "}").maxTokens() == 8);
    CHECK_THROWS_WITH(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":9777777777777777777777777776,)" +
                                          specials + "}"),
                      Catch::Contains("max_tokens must be in 1..4096"));
    CHECK_THROWS_WITH(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":8.5,)" + specials + "}"),
                      Catch::Contains("max_tokens must be in 1..4096"));
    CHECK_THROWS_WITH(Tokenizer::fromJson(R"({"format":"tandem-tokenizer","kind":"bytes","max_tokens":8,"byte_offset":3,
                                            "specials":{"<pad>":0,"<S>":4294967297,"<E>":2}})"),
                      Catch::Contains("special token ids"));
}
