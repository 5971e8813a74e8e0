// Prompt adherence on world clips: right descriptions pass, wrong colour, shape or motion fail.
#include "model/world/world.h"
#include "render/adherence.h"

#include <catch2/catch.hpp>

using namespace tandem;

namespace {

render::ObjectDescription describe(const world::ObjectSpec& o) {
    render::ObjectDescription d;
    const auto& c = world::palette()[size_t(o.colour)];
    d.rgb[0] = c.r, d.rgb[1] = c.g, d.rgb[2] = c.b;
    d.shape = render::ShapeKind(int(o.shape));
    d.motion = render::MotionKind(int(o.motion));
    return d;
}

} // namespace

TEST_CASE("each shape and motion of the world is recognised, and wrong descriptions fail") {
    for (int shape = 0; shape < 3; ++shape)
        for (int motion = 0; motion < 3; ++motion) {
            world::SceneSpec s;
            s.background = 2; // blue wall, red object
            s.objects = {world::ObjectSpec{world::Shape(shape), 0, true, world::Motion(motion), world::Material::Wood}};
            const world::Clip clip = world::render(s, 10 + uint64_t(shape * 3 + motion));
            const render::ObjectDescription d = describe(s.objects[0]);
            const render::Adherence a = render::checkObject(clip.rgb.data(), clip.frames, 128, 128, d);
            INFO("shape " << shape << " motion " << motion << ": saw " << a.seenShape << ", " << a.seenMotion);
            CHECK(a.all());

            render::ObjectDescription wrong = d;
            wrong.rgb[0] = 40, wrong.rgb[1] = 190, wrong.rgb[2] = 70; // green, absent
            CHECK_FALSE(render::checkObject(clip.rgb.data(), clip.frames, 128, 128, wrong).colour);
            wrong = d;
            wrong.shape = render::ShapeKind((shape + 1) % 3);
            CHECK_FALSE(render::checkObject(clip.rgb.data(), clip.frames, 128, 128, wrong).shape);
            wrong = d;
            wrong.motion = render::MotionKind((motion + 1) % 3);
            CHECK_FALSE(render::checkObject(clip.rgb.data(), clip.frames, 128, 128, wrong).motion);
        }
}
