#include "render/media_error.h"
#include "render/probe.h"
#include "render/video_decoder.h"
#include "support/test_media.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <random>

using namespace tandem;

namespace {

std::string write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string errorOf(const std::string& path) {
    try {
        render::probe(path);
    } catch (const render::MediaError& e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST_CASE("bad media gets a clear error naming the file") {
    const std::string dir = test::freshTempDir("bad");
    CHECK(errorOf(dir + "/absent.mp4").find("no such file") != std::string::npos);
    CHECK(errorOf(write(dir + "/empty.mp4", "")).find("empty") != std::string::npos);
    std::string noise(4096, '\0');
    std::mt19937 rng(1);
    for (auto& c : noise) c = char(rng());
    const std::string random = write(dir + "/random.mp4", noise);
    CHECK(errorOf(random).find(random) == 0);
    CHECK(errorOf(dir).find("folder") != std::string::npos);
    write(dir + "/text.mp4", "this is not a movie\n");
    CHECK_FALSE(errorOf(dir + "/text.mp4").empty());
}

TEST_CASE("a truncated movie fails cleanly or decodes what is there") {
    const std::string dir = test::freshTempDir("trunc");
    test::writeTestMovie(dir + "/full.mp4", {64, 48, 32, 16.0, 16000});
    std::ifstream in(dir + "/full.mp4", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    write(dir + "/half.mp4", bytes.substr(0, bytes.size() / 2));
    // MP4 keeps its index at the end here, so half a file has no index: a clear error, no crash.
    CHECK_THROWS_AS(render::VideoDecoder(dir + "/half.mp4"), render::MediaError);
}

TEST_CASE("asking for a stream the file lacks is an error") {
    const std::string dir = test::freshTempDir("nostream");
    test::writeTestMovie(dir + "/silent.mp4", {64, 48, 8, 16.0, 0});
    CHECK_THROWS_WITH(render::decodeAudio(dir + "/silent.mp4", 48000, 2), Catch::Contains("no audio stream"));
}
