#include "timeline/plan.h"
#include "timeline/project_file.h"

#include <QRegularExpression>
#include "timeline_fixtures.h"

using namespace tandem::timeline;
using tandem::test::audioTrack;
using tandem::test::mediaAsset;
using tandem::test::trackById;
using tandem::test::videoTrack;

namespace {

// A project with one 4-second A/V asset (128 frames at 32 fps) placed at frame 0.
struct Fixture {
    Project p;
    Id asset = 0, v = 0, a = 0;
    Fixture() {
        asset = p.requestAddAsset(mediaAsset(4.0)).newId;
        REQUIRE(asset);
        const auto r = p.requestInsertAsset(asset, 0);
        REQUIRE(r.ok);
        v = r.newId;
        a = p.state().clip(v)->linkedClipId;
        REQUIRE(a);
    }
    const Clip& clip(Id id) const { return *p.state().clip(id); }
    void check() const { REQUIRE(p.consistencyError().toStdString() == ""); }
};

} // namespace

TEST_CASE("time map converts frames, samples and seconds exactly") {
    TimeMap t; // 32 fps, 48 kHz
    CHECK(t.samplesForFrames(32) == 48000);
    CHECK(t.framesForSamples(47999) == 31);
    CHECK(t.framesForSeconds(2.0) == 64);
    CHECK(t.framesForTime(48, 24) == 64);
    t.fps = {30000, 1001};
    CHECK(t.samplesForFrames(30000) == 48048000);
    CHECK(t.secondsForFrames(30000) == Approx(1001.0));
    CHECK(Rational::fromRate(23.976023976) == Rational{24000, 1001});
    CHECK(Rational::fromRate(29.97) == Rational{30000, 1001});
    CHECK(Rational::fromRate(25.0) == Rational{25, 1});
    CHECK(Rational::fromRate(12.5) == Rational{12500, 1000});
}

TEST_CASE("inserting a shot places a linked picture and sound pair") {
    Fixture f;
    f.check();
    CHECK(f.clip(f.v).length == 128);
    CHECK(f.clip(f.a).linkedClipId == f.v);
    CHECK(f.p.sequence().duration() == 128);
    // A picture-only asset lands on the video track alone.
    const Id still = f.p.requestAddAsset(mediaAsset(1.0, true, false, "still")).newId;
    REQUIRE_EDIT(f.p.requestInsertAsset(still, 128));
    f.check();
    CHECK(trackById(f.p, videoTrack(f.p)).clips.size() == 2);
    CHECK(trackById(f.p, audioTrack(f.p)).clips.size() == 1);
}

TEST_CASE("insert ripples later material — overwrite replaces a range") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestInsertAsset(f.asset, 32)); // inside the first clip: it splits around the insert
    f.check();
    const auto& v = trackById(f.p, videoTrack(f.p)).clips;
    REQUIRE(v.size() == 3);
    CHECK(v[0].length == 32);
    CHECK(v[1].position == 32);
    CHECK(v[2].position == 160);
    CHECK(v[2].sourceIn == 32); // the tail of the split clip continues where it left off
    CHECK(f.p.state().clip(v[2].linkedClipId)->position == 160); // and its sound came along, still linked

    Placement over;
    over.assetId = f.asset;
    over.videoTrackId = videoTrack(f.p);
    over.position = 16;
    over.length = 32;
    REQUIRE_EDIT(f.p.requestPlace(over));
    f.check();
    const auto& v2 = trackById(f.p, videoTrack(f.p)).clips;
    CHECK(v2[0].length == 16);
    CHECK(v2[1].position == 16);
    CHECK(v2[1].length == 32);
    CHECK(v2[2].position == 48);
    CHECK(f.p.sequence().duration() == 256); // overwrite never changes the length
}

TEST_CASE("move takes the linked partner along and refuses an occupied place") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestMove(f.v, 200));
    f.check();
    CHECK(f.clip(f.v).position == 200);
    CHECK(f.clip(f.a).position == 200);
    Placement picture; // picture only, over frames 0–127 of V1
    picture.assetId = f.asset;
    picture.videoTrackId = videoTrack(f.p);
    REQUIRE_EDIT(f.p.requestPlace(picture));
    const auto refused = f.p.requestMove(f.v, 100);
    CHECK_FALSE(refused.ok);
    CHECK(refused.reason.contains(QStringLiteral("occupied")));
    CHECK(f.clip(f.v).position == 200); // nothing changed
    CHECK_FALSE(f.p.requestMove(f.v, -1).ok);
    CHECK_FALSE(f.p.requestMove(f.v, 300, audioTrack(f.p)).ok); // picture never lands on a sound track
    REQUIRE_EDIT(f.p.requestAddTrack(f.p.sequence().id, TrackKind::Video));
    REQUIRE_EDIT(f.p.requestMove(f.v, 0, videoTrack(f.p, 1))); // up to V2, over the other clip
    f.check();
    CHECK(f.p.state().trackOfClip(f.v)->name == QStringLiteral("V2"));
}

TEST_CASE("split, trim, ripple trim, roll and slip keep pairs together") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestSplit(f.v, 40));
    f.check();
    const Id right = trackById(f.p, videoTrack(f.p)).clips[1].id;
    const Id rightAudio = f.clip(right).linkedClipId;
    REQUIRE(rightAudio);
    CHECK(f.clip(rightAudio).position == 40);
    CHECK_FALSE(f.p.requestSplit(f.v, 40).ok); // at the clip's end: nothing to split

    REQUIRE_EDIT(f.p.requestRoll(f.v, 8)); // the cut moves to 48 on both tracks
    f.check();
    CHECK(f.clip(f.v).end() == 48);
    CHECK(f.clip(right).position == 48);
    CHECK(f.clip(right).sourceIn == 48);
    CHECK(f.clip(f.a).end() == 48);

    REQUIRE_EDIT(f.p.requestTrim(right, Edge::Out, 100)); // a gap opens, nothing moves
    f.check();
    CHECK(f.clip(right).end() == 100);
    CHECK(f.clip(rightAudio).end() == 100);

    REQUIRE_EDIT(f.p.requestRippleTrim(f.v, Edge::Out, -8)); // the rest follows the edge left
    f.check();
    CHECK(f.clip(f.v).end() == 40);
    CHECK(f.clip(right).position == 40);
    CHECK(f.clip(rightAudio).position == 40);

    CHECK_FALSE(f.p.requestSlip(f.v, -1).ok); // before the start of the media
    REQUIRE_EDIT(f.p.requestSlip(right, -10));
    CHECK(f.clip(right).sourceIn == 38);
    CHECK(f.clip(rightAudio).sourceIn == 38);
    CHECK_FALSE(f.p.requestTrim(right, Edge::Out, 200).ok); // past the end of the media
    f.check();
}

TEST_CASE("ripple delete closes the gap on every track — lift leaves it") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestInsertAsset(f.asset, 128));
    const Id second = trackById(f.p, videoTrack(f.p)).clips[1].id;
    REQUIRE_EDIT(f.p.requestRippleDelete(f.v));
    f.check();
    CHECK(f.clip(second).position == 0);
    CHECK(f.p.state().clip(f.v) == nullptr);
    CHECK(f.p.state().clip(f.a) == nullptr);
    REQUIRE_EDIT(f.p.requestInsertAsset(f.asset, 0));
    const Id first = trackById(f.p, videoTrack(f.p)).clips[0].id;
    REQUIRE_EDIT(f.p.requestLift(first));
    CHECK(f.clip(second).position == 128);
    f.check();
}

TEST_CASE("link, unlink and refused links") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestUnlink(f.v));
    CHECK(f.clip(f.a).linkedClipId == 0);
    REQUIRE_EDIT(f.p.requestMove(f.v, 10)); // alone now
    CHECK(f.clip(f.a).position == 0);
    CHECK_FALSE(f.p.requestUnlink(f.v).ok);
    REQUIRE_EDIT(f.p.requestLink(f.v, f.a));
    f.check();
    CHECK_FALSE(f.p.requestLink(f.v, f.a).ok);
    CHECK_FALSE(f.p.requestLink(f.v, f.v).ok);
}

TEST_CASE("snap finds clip edges, markers and the playhead within tolerance") {
    Fixture f;
    const Id seq = f.p.sequence().id;
    REQUIRE_EDIT(f.p.requestAddMarker(seq, 70, QStringLiteral("beat")));
    CHECK(f.p.snap(seq, 125, 5) == 128);
    CHECK(f.p.snap(seq, 72, 5) == 70);
    CHECK(f.p.snap(seq, 50, 5, 52) == 52);
    CHECK(f.p.snap(seq, 50, 5) == 50);
    CHECK(f.p.snap(seq, 126, 5, {}, {f.v, f.a}) == 126); // a clip never snaps to itself
}

TEST_CASE("tracks are added in order, locked tracks refuse edits, removal unlinks partners") {
    Fixture f;
    const Id seq = f.p.sequence().id;
    REQUIRE_EDIT(f.p.requestAddTrack(seq, TrackKind::Audio));
    REQUIRE_EDIT(f.p.requestAddTrack(seq, TrackKind::Video));
    f.check();
    QStringList names;
    for (const auto& t : f.p.sequence().tracks) names << t.name;
    CHECK(names == QStringList{"V1", "V2", "A1", "A2"});
    REQUIRE_EDIT(f.p.requestSetTrackLocked(audioTrack(f.p), true));
    const auto locked = f.p.requestMove(f.v, 300); // the partner is on the locked track
    CHECK_FALSE(locked.ok);
    CHECK(locked.reason.contains(QStringLiteral("locked")));
    CHECK_FALSE(f.p.requestRemoveTrack(audioTrack(f.p)).ok);
    REQUIRE_EDIT(f.p.requestSetTrackLocked(audioTrack(f.p), false));
    REQUIRE_EDIT(f.p.requestRemoveTrack(audioTrack(f.p)));
    f.check();
    CHECK(f.clip(f.v).linkedClipId == 0);
}

TEST_CASE("undo and redo are exact, and a compound edit is one step") {
    Fixture f;
    const QByteArray start = serializeProject(f.p.state());
    const int steps = f.p.historyIndex();
    const auto r = f.p.requestCompound(QStringLiteral("Rough cut"), [&] {
        auto x = f.p.requestSplit(f.v, 64);
        if (!x.ok) return x;
        return f.p.requestMove(f.v, 300);
    });
    REQUIRE(r.ok);
    CHECK(f.p.historyIndex() == steps + 1);
    CHECK(f.p.undoText() == QStringLiteral("Rough cut"));
    const QByteArray after = serializeProject(f.p.state());
    REQUIRE(f.p.undo());
    CHECK(serializeProject(f.p.state()) == start);
    REQUIRE(f.p.redo());
    CHECK(serializeProject(f.p.state()) == after);

    // A compound whose second step fails leaves nothing behind and records nothing.
    const int before = f.p.historyIndex();
    const auto failed = f.p.requestCompound(QStringLiteral("Bad"), [&] {
        auto x = f.p.requestMove(f.v, 400);
        if (!x.ok) return x;
        return f.p.requestSplit(f.v, 0);
    });
    CHECK_FALSE(failed.ok);
    CHECK(f.p.historyIndex() == before);
    CHECK(serializeProject(f.p.state()) == after);
}

TEST_CASE("takes: a clip points at a take, switching is undoable, changed inputs make it stale") {
    Project p;
    const Id ref = p.requestAddAsset(mediaAsset(2.0, true, false, "hero")).newId;
    REQUIRE_EDIT(p.requestSetRole(ref, ReferenceRole::Character));
    const Asset shot = tandem::test::generatedShot("scene 1");
    Take first = tandem::test::takeWriting("takes/t1.mp4", 2.0);
    first.seed = 7;
    first.modelId = QStringLiteral("demo");
    first.modelChecksum = QStringLiteral("abc");
    first.inputs.referenceAssetIds = {ref};
    const Id shotId = p.requestAddGeneratedShot(shot, first).newId;
    REQUIRE(shotId);
    const Id take1 = p.state().asset(shotId)->activeTakeId;
    REQUIRE_EDIT(p.requestInsertAsset(shotId, 0));
    const Id clip = p.sequence().tracks[0].clips[0].id;
    CHECK(p.state().clip(clip)->takeId == take1);
    CHECK(p.state().mediaPathOfClip(*p.state().clip(clip)) == QStringLiteral("takes/t1.mp4"));

    Take second = first;
    second.assetId = shotId;
    second.parentTakeId = take1;
    second.seed = 8;
    second.output = QStringLiteral("takes/t2.mp4");
    second.inputsFingerprint.clear();
    const Id take2 = p.requestAddTake(second).newId;
    REQUIRE(take2);
    CHECK(p.state().clip(clip)->takeId == take1); // a new take does not replace what is cut in
    REQUIRE_EDIT(p.requestSwitchTake(clip, take2));
    CHECK(p.state().clip(clip)->takeId == take2);
    CHECK(p.state().clip(p.state().clip(clip)->linkedClipId)->takeId == take2);
    REQUIRE(p.undo());
    CHECK(p.state().clip(clip)->takeId == take1);
    REQUIRE(p.redo());

    CHECK_FALSE(p.state().isStale(*p.state().clip(clip)));
    REQUIRE_EDIT(p.requestReplaceMedia(ref, QStringLiteral("media/hero2.mp4"), 2.0)); // the reference changed
    CHECK(p.state().isStale(*p.state().clip(clip)));
    REQUIRE(p.undo());
    CHECK_FALSE(p.state().isStale(*p.state().clip(clip)));

    Take shortTake = second;
    shortTake.duration = 0.5;
    shortTake.inputsFingerprint.clear();
    const Id take3 = p.requestAddTake(shortTake).newId;
    CHECK_FALSE(p.requestSwitchTake(clip, take3).ok); // shorter than the clip
    CHECK(p.consistencyError().isEmpty());
}

TEST_CASE("a repainted mask makes the inpainted take stale") {
    Fixture f;
    const Id mask = f.p.requestCreateMask(f.v).newId;
    REQUIRE(mask);
    Stroke s;
    s.points = {QPointF(0.5, 0.5)};
    s.radius = 0.1;
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 0, s));
    TakeInputs in;
    in.maskId = mask;
    in.sourceAssetId = f.asset;
    const QString before = f.p.state().fingerprint(in);
    s.points = {QPointF(0.2, 0.2)};
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 0, s));
    CHECK(f.p.state().fingerprint(in) != before);
}

TEST_CASE("bins hold assets — removing a bin moves its contents up — cycles are refused") {
    Project p;
    const Id refs = p.requestAddBin(QStringLiteral("References")).newId;
    const Id chars = p.requestAddBin(QStringLiteral("Characters"), refs).newId;
    const Id hero = p.requestAddAsset(mediaAsset(1.0, true, false, "hero")).newId;
    REQUIRE_EDIT(p.requestMoveAsset(hero, chars));
    CHECK_FALSE(p.requestMoveBin(refs, chars).ok); // into its own child
    REQUIRE_EDIT(p.requestRemoveBin(chars));
    CHECK(p.state().asset(hero)->binId == refs);
    CHECK_FALSE(p.requestAddBin(QStringLiteral("  ")).ok);
    REQUIRE_EDIT(p.requestInsertAsset(hero, 0));
    CHECK_FALSE(p.requestRemoveAsset(hero).ok); // still cut in
    Asset outside = mediaAsset(1.0);
    outside.path = QStringLiteral("../../etc/passwd");
    CHECK_FALSE(p.requestAddAsset(outside).ok);
    outside.path = QStringLiteral("/etc/passwd");
    CHECK_FALSE(p.requestAddAsset(outside).ok);
    CHECK(p.consistencyError().isEmpty());
}

TEST_CASE("masks rasterise strokes, hold or blend between keyframes, and feather") {
    Mask m;
    m.id = 1;
    Stroke left;
    left.points = {QPointF(0.25, 0.5)};
    left.radius = 0.2;
    Stroke right = left;
    right.points = {QPointF(0.75, 0.5)};
    m.keyframes = {MaskKeyframe{0, Interpolation::Hold, {left}}, MaskKeyframe{10, Interpolation::Hold, {right}}};
    const int W = 40, H = 20;
    auto at = [&](qint64 frame, int x, int y) { return rasteriseMask(m, frame, W, H).at(x, y); };
    CHECK(at(0, 10, 10) == 255);
    CHECK(at(0, 30, 10) == 0);
    CHECK(at(5, 10, 10) == 255); // hold: the earlier keyframe until the next
    CHECK(at(10, 30, 10) == 255);
    CHECK(at(10, 10, 10) == 0);
    m.keyframes[0].interpolation = Interpolation::Linear;
    CHECK(at(5, 10, 10) == Approx(128).margin(1));
    CHECK(at(5, 30, 10) == Approx(128).margin(1));

    // An eraser stroke clears what was painted before it.
    Stroke eraser = left;
    eraser.erase = true;
    eraser.radius = 0.05;
    CHECK(rasteriseStrokes({left, eraser}, W, H).at(10, 10) == 0);
    CHECK(rasteriseStrokes({left, eraser}, W, H).at(7, 10) == 255);

    // Feathering softens the edge: partial coverage just outside the hard edge, full inside.
    Mask soft;
    soft.keyframes = {MaskKeyframe{0, Interpolation::Hold, {left}}};
    soft.feather = 0.3;
    const MaskRaster hard = rasteriseMask(Mask{0, 0, 0, soft.keyframes}, 0, W, H);
    const MaskRaster feathered = rasteriseMask(soft, 0, W, H);
    CHECK(feathered.coveredPixels() > hard.coveredPixels());
    CHECK(feathered.at(10, 10) > 150);
    const int edge = feathered.at(16, 10);
    CHECK(edge > 0);
    CHECK(edge < 255);

    // The inpaint request regenerates the whole soft region and blends with the feathered alpha.
    const InpaintMasks im = deriveInpaintMasks(soft, 0, 3, W, H);
    REQUIRE(im.repaint.size() == 3);
    CHECK(static_cast<unsigned char>(im.repaint[0][10 * W + 16]) == 255);
    CHECK(static_cast<unsigned char>(im.blend[0][10 * W + 16]) == edge);
    CHECK_FALSE(im.empty());
    CHECK(deriveInpaintMasks(Mask{}, 0, 2, W, H).empty());
}

TEST_CASE("painting at a new frame starts a keyframe from the shape already there") {
    Fixture f;
    const Id mask = f.p.requestCreateMask(f.v).newId;
    Stroke s;
    s.points = {QPointF(0.3, 0.3), QPointF(0.6, 0.3)};
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 0, s));
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 20, s));
    const Mask& m = *f.p.state().mask(mask);
    REQUIRE(m.keyframes.size() == 2);
    CHECK(m.keyframes[1].strokes.size() == 2);
    REQUIRE_EDIT(f.p.requestSetInterpolation(mask, 0, Interpolation::Linear));
    REQUIRE_EDIT(f.p.requestSetFeather(mask, 0.05));
    CHECK_FALSE(f.p.requestSetFeather(mask, 2).ok);
    REQUIRE_EDIT(f.p.requestRemoveKeyframe(mask, 20));
    CHECK_FALSE(f.p.requestRemoveKeyframe(mask, 20).ok);
    // Splitting the clip gives the right half its own copy of the mask.
    REQUIRE_EDIT(f.p.requestSplit(f.v, 64));
    const Clip& right = trackById(f.p, videoTrack(f.p)).clips[1];
    REQUIRE(right.maskId);
    CHECK(right.maskId != mask);
    CHECK(f.p.state().mask(right.maskId)->keyframes == f.p.state().mask(mask)->keyframes);
    REQUIRE_EDIT(f.p.requestLift(f.v));
    CHECK(f.p.state().mask(mask) == nullptr); // a removed clip takes its mask along
    f.check();
}

TEST_CASE("soft brushes fade their edge, fills cover a polygon, erasers clear with them") {
    const int W = 100, H = 100;
    Stroke soft;
    soft.points = {QPointF(0.5, 0.5)};
    soft.radius = 0.2; // 20 px
    soft.hardness = 0.5; // full to 10 px, then a linear fall to 20 px
    const MaskRaster r = rasteriseStrokes({soft}, W, H);
    CHECK(r.at(50, 50) == 255);
    CHECK(r.at(58, 50) == 255);
    const int mid = r.at(65, 50); // 15.5 px from the centre: about half way down the fall
    CHECK(mid == Approx(115).margin(20));
    CHECK(r.at(71, 50) == 0);
    // Painting over a soft edge never lowers coverage; an eraser dab lowers it by its own coverage.
    Stroke hard = soft;
    hard.hardness = 1;
    hard.radius = 0.05;
    hard.points = {QPointF(0.65, 0.5)};
    CHECK(rasteriseStrokes({hard, soft}, W, H).at(65, 50) == 255);

    Stroke triangle;
    triangle.fill = true;
    triangle.points = {QPointF(0.1, 0.1), QPointF(0.9, 0.1), QPointF(0.1, 0.9)};
    const MaskRaster t = rasteriseStrokes({triangle}, W, H);
    CHECK(t.at(20, 20) == 255);
    CHECK(t.at(80, 80) == 0);
    CHECK(t.coveredPixels() == Approx(0.32 * W * H).epsilon(0.03)); // half of an 80 × 80 square
    Stroke clear = triangle;
    clear.erase = true;
    clear.points = {QPointF(0, 0), QPointF(1, 0), QPointF(1, 1), QPointF(0, 1)};
    CHECK(rasteriseStrokes({triangle, clear}, W, H).coveredPixels() == 0);
}

TEST_CASE("a stroke over a frame range paints every frame of it and no other, and saves") {
    Fixture f;
    const Id mask = f.p.requestCreateMask(f.v).newId;
    Stroke base;
    base.points = {QPointF(0.2, 0.2)};
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 0, base));
    Stroke range;
    range.points = {QPointF(0.8, 0.8), QPointF(0.7, 0.8)};
    range.hardness = 0.3;
    REQUIRE_EDIT(f.p.requestPaintStrokeRange(mask, 10, 20, range));
    const Mask& m = *f.p.state().mask(mask);
    auto covered = [&](qint64 frame) { return rasteriseMask(m, frame, 50, 50).at(40, 40) > 0; };
    CHECK_FALSE(covered(9));
    CHECK(covered(10));
    CHECK(covered(15));
    CHECK(covered(20));
    CHECK_FALSE(covered(21));
    CHECK(rasteriseMask(m, 21, 50, 50).at(10, 10) > 0); // the earlier shape goes on after the range
    CHECK_FALSE(f.p.requestPaintStrokeRange(mask, 5, 4, range).ok);
    Stroke bad = range;
    bad.hardness = 2;
    CHECK_FALSE(f.p.requestPaintStrokeRange(mask, 1, 4, bad).ok);
    // Hardness and fill survive a save and load.
    Stroke fill;
    fill.fill = true;
    fill.points = {QPointF(0, 0), QPointF(1, 0), QPointF(0, 1)};
    REQUIRE_EDIT(f.p.requestPaintStroke(mask, 30, fill));
    QString why;
    const auto loaded = parseProject(serializeProject(f.p.state()), &why);
    REQUIRE(loaded);
    CHECK(*loaded->mask(mask) == *f.p.state().mask(mask));
    f.check();
}

TEST_CASE("fades, cross-dissolves and the track mix are validated, split sensibly, planned and saved") {
    Fixture f;
    // Fades: on both clips of the pair, never longer than the clip.
    REQUIRE_EDIT(f.p.requestSetFades(f.v, 8, 16));
    f.check();
    CHECK(f.clip(f.a).fadeIn == 8);
    CHECK(f.clip(f.a).fadeOut == 16);
    CHECK_FALSE(f.p.requestSetFades(f.v, 100, 100).ok);
    CHECK_FALSE(f.p.requestSetFades(f.v, -1, 0).ok);
    // Split: the fade in stays on the left half, the fade out goes right.
    REQUIRE_EDIT(f.p.requestSplit(f.v, 64));
    f.check();
    const Track& video = trackById(f.p, videoTrack(f.p));
    REQUIRE(video.clips.size() == 2);
    CHECK(video.clips[0].fadeIn == 8);
    CHECK(video.clips[0].fadeOut == 0);
    CHECK(video.clips[1].fadeIn == 0);
    CHECK(video.clips[1].fadeOut == 16);
    // A dissolve needs the clip before to end where this one starts, and fits inside both.
    const Id right = video.clips[1].id;
    CHECK_FALSE(f.p.requestSetDissolve(f.v, 8).ok);  // nothing before the first clip
    CHECK_FALSE(f.p.requestSetDissolve(right, 65).ok); // longer than a clip
    CHECK_FALSE(f.p.requestSetDissolve(f.a, 8).ok);  // sound does not dissolve
    REQUIRE_EDIT(f.p.requestSetDissolve(right, 12));
    f.check();
    // Track mix: sound tracks only, within range.
    CHECK_FALSE(f.p.requestSetTrackMix(videoTrack(f.p), -6, 0).ok);
    CHECK_FALSE(f.p.requestSetTrackMix(audioTrack(f.p), -6, 1.5).ok);
    REQUIRE_EDIT(f.p.requestSetTrackMix(audioTrack(f.p), -6, -0.5));
    REQUIRE_EDIT(f.p.requestSetTrackSolo(audioTrack(f.p), true));
    f.check();

    // The plans carry them, in frames and samples.
    const auto pictures = picturePlan(f.p.state(), f.p.sequence());
    REQUIRE(pictures.size() == 1);
    CHECK(pictures[0].clips[0].fadeIn == 8);
    CHECK(pictures[0].clips[1].dissolveIn == 12);
    CHECK(pictures[0].clips[1].fadeOut == 16);
    const auto sound = soundPlan(f.p.state(), f.p.sequence());
    REQUIRE(sound.size() == 1);
    CHECK(sound[0].gainDb == -6);
    CHECK(sound[0].pan == -0.5);
    CHECK(sound[0].solo);
    CHECK(sound[0].clips[0].fadeIn == 8 * 1500); // 1500 samples a frame at 32 fps, 48 kHz
    CHECK(sound[0].clips[1].fadeOut == 16 * 1500);
    // Moving the right clip away leaves its dissolve in place but unplayed.
    REQUIRE_EDIT(f.p.requestMove(right, 80));
    CHECK(picturePlan(f.p.state(), f.p.sequence())[0].clips[1].dissolveIn == 0);

    // Saved and read back; a schema 2 file (without them) reads with none.
    QString error;
    const auto back = parseProject(serializeProject(f.p.state()), &error);
    REQUIRE(back);
    CHECK(back->sequences[0].tracks[1].gainDb == -6);
    CHECK(back->sequences[0].tracks[1].solo);
    CHECK(back->clip(right)->dissolveIn == 12);
    QByteArray old = serializeProject(f.p.state());
    for (const char* key : {"fade_in", "fade_out", "dissolve_in", "pan", "solo"}) {
        QRegularExpression field(QStringLiteral(",?\\s*\"%1\": [^,}\\]]+").arg(QLatin1String(key)));
        old = QString::fromUtf8(old).remove(field).toUtf8();
    }
    old.replace(QByteArray("\"schema\": ") + QByteArray::number(kProjectSchema), "\"schema\": 2");
    REQUIRE_FALSE(old.contains("fade_in"));
    const auto migrated = parseProject(old, &error);
    INFO(error.toStdString());
    REQUIRE(migrated);
    CHECK(migrated->sequences[0].tracks[1].gainDb == 0);
    CHECK(migrated->clip(right)->dissolveIn == 0);
}

TEST_CASE("a lip-sync nudge delays the pair's sound by milliseconds, is planned in samples, saved and migrated") {
    Fixture f;
    REQUIRE_EDIT(f.p.requestNudgeAudio(f.v, 12.5)); // from the picture: its linked sound moves
    CHECK(f.clip(f.a).audioDelayMs == 12.5);
    CHECK(f.clip(f.v).audioDelayMs == 0);
    REQUIRE_EDIT(f.p.requestNudgeAudio(f.a, -2.5));
    CHECK(f.clip(f.a).audioDelayMs == 10);
    CHECK_FALSE(f.p.requestNudgeAudio(f.a, 20000).ok);
    CHECK(f.clip(f.a).audioDelayMs == 10);
    f.check();

    // 10 ms later at 48 kHz: the clip starts at its source's first sample, 480 samples into the sequence.
    auto placement = [&] { return soundPlan(f.p.state(), f.p.sequence())[0].clips[0]; };
    SoundPlacement p = placement();
    CHECK(p.start == 480);
    CHECK(p.sourceStart == 0);
    // Earlier: it starts on time, from further into its source.
    REQUIRE_EDIT(f.p.requestNudgeAudio(f.a, -30));
    p = placement();
    CHECK(p.start == 0);
    CHECK(p.sourceStart == 960);

    // A video-only clip has no sound to nudge.
    REQUIRE_EDIT(f.p.requestUnlink(f.v));
    CHECK_FALSE(f.p.requestNudgeAudio(f.v, 5).ok);

    QString error;
    const auto back = parseProject(serializeProject(f.p.state()), &error);
    REQUIRE(back);
    CHECK(back->clip(f.a)->audioDelayMs == -20);
    QByteArray old = serializeProject(f.p.state());
    old = QString::fromUtf8(old).remove(QRegularExpression(QStringLiteral(",?\\s*\"audio_delay_ms\": [^,}\\]]+"))).toUtf8();
    old.replace(QByteArray("\"schema\": ") + QByteArray::number(kProjectSchema), "\"schema\": 3");
    const auto migrated = parseProject(old, &error);
    INFO(error.toStdString());
    REQUIRE(migrated);
    CHECK(migrated->clip(f.a)->audioDelayMs == 0);
}
