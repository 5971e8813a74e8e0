#include "timeline/project_file.h"

#include "timeline/paths.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <functional>
#include <stdexcept>

namespace tandem::timeline {

namespace {

// ---- writing

QJsonObject rationalJson(Rational r) { return {{"num", double(r.num)}, {"den", double(r.den)}}; }

QJsonObject strokeJson(const Stroke& s) {
    QJsonArray points; // flat x, y, x, y … keeps long strokes compact
    for (QPointF p : s.points) {
        points.append(p.x());
        points.append(p.y());
    }
    QJsonObject o{{"radius", s.radius}, {"erase", s.erase}, {"points", points}};
    if (s.hardness != 1.0) o.insert(QStringLiteral("hardness"), s.hardness); // absent = a hard brush
    if (s.fill) o.insert(QStringLiteral("fill"), true);
    return o;
}

QJsonObject maskJson(const Mask& m) {
    QJsonArray keyframes;
    for (const MaskKeyframe& k : m.keyframes) {
        QJsonArray strokes;
        for (const Stroke& s : k.strokes) strokes.append(strokeJson(s));
        keyframes.append(QJsonObject{{"frame", double(k.frame)},
                                     {"interpolation", k.interpolation == Interpolation::Linear ? "linear" : "hold"},
                                     {"strokes", strokes}});
    }
    return {{"id", double(m.id)}, {"clip", double(m.clipId)}, {"feather", m.feather}, {"keyframes", keyframes}};
}

QJsonArray idArray(const QList<Id>& ids) {
    QJsonArray a;
    for (Id id : ids) a.append(double(id));
    return a;
}

QJsonObject assetJson(const Asset& a) {
    return {{"id", double(a.id)},
            {"bin", double(a.binId)},
            {"kind", a.kind == AssetKind::Generated ? "generated" : "media"},
            {"path", a.path},
            {"label", a.label},
            {"video", a.hasVideo},
            {"audio", a.hasAudio},
            {"width", a.width},
            {"height", a.height},
            {"fps", a.fps},
            {"duration", a.duration},
            {"prompt", a.prompt},
            {"role", roleName(a.role)},
            {"revision", a.revision},
            {"original_name", a.originalName},
            {"active_take", double(a.activeTakeId)}};
}

QJsonObject takeJson(const Take& t) {
    return {{"id", double(t.id)},
            {"asset", double(t.assetId)},
            {"parent", double(t.parentTakeId)},
            {"task", t.task},
            {"request", t.request},
            {"seed", QString::number(t.seed)}, // as text: seeds use all 64 bits, JSON numbers only 53
            {"model_id", t.modelId},
            {"model_checksum", t.modelChecksum},
            {"created", t.created},
            {"output", t.output},
            {"duration", t.duration},
            {"inputs", QJsonObject{{"references", idArray(t.inputs.referenceAssetIds)},
                                   {"mask", double(t.inputs.maskId)},
                                   {"source_asset", double(t.inputs.sourceAssetId)},
                                   {"source_take", double(t.inputs.sourceTakeId)}}},
            {"fingerprint", t.inputsFingerprint}};
}

// `foreign` only when something was kept, so projects without imports read as before.
QJsonObject withForeign(QJsonObject o, const QJsonObject& foreign) {
    if (!foreign.isEmpty()) o[QStringLiteral("foreign")] = foreign;
    return o;
}

QJsonObject clipJson(const Clip& c) {
    return withForeign({{"id", double(c.id)},           {"asset", double(c.assetId)},     {"take", double(c.takeId)},
            {"position", double(c.position)}, {"source_in", double(c.sourceIn)}, {"length", double(c.length)},
            {"gain_db", c.gainDb},          {"opacity", c.opacity},           {"link", double(c.linkedClipId)},
            {"mask", double(c.maskId)},       {"fade_in", double(c.fadeIn)},   {"fade_out", double(c.fadeOut)},
            {"dissolve_in", double(c.dissolveIn)}, {"audio_delay_ms", c.audioDelayMs}}, c.foreign);
}

QJsonObject sequenceJson(const Sequence& s) {
    QJsonArray tracks, markers;
    for (const Track& t : s.tracks) {
        QJsonArray clips;
        for (const Clip& c : t.clips) clips.append(clipJson(c));
        tracks.append(withForeign({{"id", double(t.id)},
                                  {"kind", t.kind == TrackKind::Video ? "video" : "audio"},
                                  {"name", t.name},
                                  {"muted", t.muted},
                                  {"locked", t.locked},
                                  {"gain_db", t.gainDb},
                                  {"pan", t.pan},
                                  {"solo", t.solo},
                                  {"clips", clips}}, t.foreign));
    }
    for (const Marker& m : s.markers)
        markers.append(QJsonObject{{"id", double(m.id)}, {"frame", double(m.frame)}, {"name", m.name}, {"color", m.color}});
    return withForeign({{"id", double(s.id)},   {"name", s.name},         {"fps", rationalJson(s.time.fps)},
            {"sample_rate", s.time.sampleRate}, {"width", s.width}, {"height", s.height},
            {"tracks", tracks},     {"markers", markers}}, s.foreign);
}

// ---- reading: a cursor over JSON that knows where it is, for messages like
// "sequences[0].tracks[1].clips[2].length: expected a whole number".

struct BadFile : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Reader {
public:
    Reader(QJsonObject object, QString where) : o_(std::move(object)), where_(std::move(where)) {}

    [[noreturn]] void fail(const QString& key, const QString& what) const {
        throw BadFile((at(key) + QStringLiteral(": ") + what).toStdString());
    }
    QString at(const QString& key) const { return where_.isEmpty() ? key : where_ + QLatin1Char('.') + key; }
    bool has(const QString& key) const { return o_.contains(key); }

    qint64 integer(const QString& key, qint64 min = 0, qint64 max = qint64(1) << 53) const {
        const QJsonValue v = o_.value(key);
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || d != std::floor(d)) fail(key, QStringLiteral("expected a whole number"));
        if (d < double(min) || d > double(max))
            fail(key, QStringLiteral("%1 is out of range [%2, %3]").arg(d).arg(min).arg(max));
        return qint64(d);
    }
    qint64 id(const QString& key) const { return integer(key, 0); }
    double number(const QString& key, double min = -1e300, double max = 1e300) const {
        const QJsonValue v = o_.value(key);
        if (!v.isDouble() || !std::isfinite(v.toDouble())) fail(key, QStringLiteral("expected a number"));
        if (v.toDouble() < min || v.toDouble() > max) fail(key, QStringLiteral("%1 is out of range").arg(v.toDouble()));
        return v.toDouble();
    }
    QString text(const QString& key) const {
        const QJsonValue v = o_.value(key);
        if (!v.isString()) fail(key, QStringLiteral("expected text"));
        return v.toString();
    }
    QString path(const QString& key) const { // bundle-relative or empty
        const QString p = text(key);
        if (!p.isEmpty())
            if (QString why = unsafeBundlePathReason(p); !why.isEmpty()) fail(key, why);
        return p;
    }
    QJsonObject optionalObject(const QString& key) const {
        const QJsonValue v = o_.value(key);
        if (v.isUndefined()) return {};
        if (!v.isObject()) fail(key, QStringLiteral("expected an object"));
        return v.toObject();
    }
    bool flag(const QString& key) const {
        const QJsonValue v = o_.value(key);
        if (!v.isBool()) fail(key, QStringLiteral("expected true or false"));
        return v.toBool();
    }
    QJsonObject object(const QString& key) const {
        const QJsonValue v = o_.value(key);
        if (!v.isObject()) fail(key, QStringLiteral("expected an object"));
        return v.toObject();
    }
    Reader child(const QString& key) const { return Reader(object(key), at(key)); }
    // Calls `each(reader)` for every object in the array `key`.
    template <typename F> void forEach(const QString& key, F each) const {
        const QJsonValue v = o_.value(key);
        if (!v.isArray()) fail(key, QStringLiteral("expected a list"));
        const QJsonArray a = v.toArray();
        for (int i = 0; i < a.size(); ++i) {
            const QString here = at(key) + QStringLiteral("[%1]").arg(i);
            if (!a[i].isObject()) throw BadFile((here + QStringLiteral(": expected an object")).toStdString());
            each(Reader(a[i].toObject(), here));
        }
    }
    QJsonArray array(const QString& key) const {
        const QJsonValue v = o_.value(key);
        if (!v.isArray()) fail(key, QStringLiteral("expected a list"));
        return v.toArray();
    }
    template <typename E> E choice(const QString& key, std::initializer_list<std::pair<const char*, E>> options) const {
        const QString t = text(key);
        for (const auto& [name, value] : options)
            if (t == QLatin1String(name)) return value;
        fail(key, QStringLiteral("\"%1\" is not a known value").arg(t));
    }

private:
    QJsonObject o_;
    QString where_;
};

Stroke readStroke(const Reader& r) {
    Stroke s;
    s.radius = r.number(QStringLiteral("radius"), 0, 1);
    s.erase = r.flag(QStringLiteral("erase"));
    if (r.has(QStringLiteral("hardness"))) s.hardness = r.number(QStringLiteral("hardness"), 0, 1);
    s.fill = r.has(QStringLiteral("fill")) && r.flag(QStringLiteral("fill"));
    const QJsonArray pts = r.array(QStringLiteral("points"));
    if (pts.size() % 2) r.fail(QStringLiteral("points"), QStringLiteral("expected x, y pairs"));
    for (int i = 0; i < pts.size(); i += 2) {
        if (!pts[i].isDouble() || !pts[i + 1].isDouble()) r.fail(QStringLiteral("points"), QStringLiteral("expected numbers"));
        s.points.append(QPointF(pts[i].toDouble(), pts[i + 1].toDouble()));
    }
    return s;
}

Mask readMask(const Reader& r) {
    Mask m;
    m.id = r.id(QStringLiteral("id"));
    m.clipId = r.id(QStringLiteral("clip"));
    m.feather = r.number(QStringLiteral("feather"), 0, 0.5);
    r.forEach(QStringLiteral("keyframes"), [&](const Reader& k) {
        MaskKeyframe kf;
        kf.frame = k.integer(QStringLiteral("frame"), 0);
        kf.interpolation = k.choice<Interpolation>(QStringLiteral("interpolation"),
                                                   {{"hold", Interpolation::Hold}, {"linear", Interpolation::Linear}});
        k.forEach(QStringLiteral("strokes"), [&](const Reader& s) { kf.strokes.append(readStroke(s)); });
        m.keyframes.append(kf);
    });
    return m;
}

Asset readAsset(const Reader& r) {
    Asset a;
    a.id = r.id(QStringLiteral("id"));
    a.binId = r.id(QStringLiteral("bin"));
    a.kind = r.choice<AssetKind>(QStringLiteral("kind"), {{"media", AssetKind::Media}, {"generated", AssetKind::Generated}});
    a.path = r.path(QStringLiteral("path"));
    a.label = r.text(QStringLiteral("label"));
    a.hasVideo = r.flag(QStringLiteral("video"));
    a.hasAudio = r.flag(QStringLiteral("audio"));
    a.width = int(r.integer(QStringLiteral("width"), 0, 1 << 16));
    a.height = int(r.integer(QStringLiteral("height"), 0, 1 << 16));
    a.fps = r.number(QStringLiteral("fps"), 0, 1000);
    a.duration = r.number(QStringLiteral("duration"), 0, 1e7);
    a.prompt = r.text(QStringLiteral("prompt"));
    if (!roleFromName(r.text(QStringLiteral("role")), &a.role))
        r.fail(QStringLiteral("role"), QStringLiteral("not one of character, style, motion, voice, music"));
    a.revision = int(r.integer(QStringLiteral("revision"), 0, 1 << 30));
    a.originalName = r.text(QStringLiteral("original_name"));
    a.activeTakeId = r.id(QStringLiteral("active_take"));
    return a;
}

Take readTake(const Reader& r) {
    Take t;
    t.id = r.id(QStringLiteral("id"));
    t.assetId = r.id(QStringLiteral("asset"));
    t.parentTakeId = r.id(QStringLiteral("parent"));
    t.task = r.text(QStringLiteral("task"));
    t.request = r.object(QStringLiteral("request"));
    bool ok = false;
    t.seed = r.text(QStringLiteral("seed")).toLongLong(&ok);
    if (!ok) r.fail(QStringLiteral("seed"), QStringLiteral("expected a whole number"));
    t.modelId = r.text(QStringLiteral("model_id"));
    t.modelChecksum = r.text(QStringLiteral("model_checksum"));
    t.created = r.text(QStringLiteral("created"));
    t.output = r.path(QStringLiteral("output"));
    t.duration = r.number(QStringLiteral("duration"), 0, 1e7);
    const Reader in = r.child(QStringLiteral("inputs"));
    for (const QJsonValue& v : in.array(QStringLiteral("references"))) {
        if (!v.isDouble()) in.fail(QStringLiteral("references"), QStringLiteral("expected ids"));
        t.inputs.referenceAssetIds.append(Id(v.toDouble()));
    }
    t.inputs.maskId = in.id(QStringLiteral("mask"));
    t.inputs.sourceAssetId = in.id(QStringLiteral("source_asset"));
    t.inputs.sourceTakeId = in.id(QStringLiteral("source_take"));
    t.inputsFingerprint = r.text(QStringLiteral("fingerprint"));
    return t;
}

Clip readClip(const Reader& r) {
    Clip c;
    c.id = r.id(QStringLiteral("id"));
    c.assetId = r.id(QStringLiteral("asset"));
    c.takeId = r.id(QStringLiteral("take"));
    c.position = r.integer(QStringLiteral("position"), 0);
    c.sourceIn = r.integer(QStringLiteral("source_in"), 0);
    c.length = r.integer(QStringLiteral("length"), 1);
    c.gainDb = r.number(QStringLiteral("gain_db"), -96, 24);
    c.opacity = r.number(QStringLiteral("opacity"), 0, 1);
    c.linkedClipId = r.id(QStringLiteral("link"));
    c.maskId = r.id(QStringLiteral("mask"));
    c.fadeIn = r.integer(QStringLiteral("fade_in"), 0);
    c.fadeOut = r.integer(QStringLiteral("fade_out"), 0);
    c.dissolveIn = r.integer(QStringLiteral("dissolve_in"), 0);
    c.audioDelayMs = r.number(QStringLiteral("audio_delay_ms"), -kMaxAudioDelayMs, kMaxAudioDelayMs);
    c.foreign = r.optionalObject(QStringLiteral("foreign"));
    return c;
}

Sequence readSequence(const Reader& r) {
    Sequence s;
    s.id = r.id(QStringLiteral("id"));
    s.name = r.text(QStringLiteral("name"));
    const Reader fps = r.child(QStringLiteral("fps"));
    s.time.fps = {fps.integer(QStringLiteral("num"), 1, 1000000), fps.integer(QStringLiteral("den"), 1, 1000000)};
    s.time.sampleRate = int(r.integer(QStringLiteral("sample_rate"), 8000, 384000));
    s.width = int(r.integer(QStringLiteral("width"), 16, 16384));
    s.height = int(r.integer(QStringLiteral("height"), 16, 16384));
    r.forEach(QStringLiteral("tracks"), [&](const Reader& t) {
        Track track;
        track.id = t.id(QStringLiteral("id"));
        track.kind = t.choice<TrackKind>(QStringLiteral("kind"), {{"video", TrackKind::Video}, {"audio", TrackKind::Audio}});
        track.name = t.text(QStringLiteral("name"));
        track.muted = t.flag(QStringLiteral("muted"));
        track.locked = t.flag(QStringLiteral("locked"));
        track.gainDb = t.number(QStringLiteral("gain_db"), -96, 24);
        track.pan = t.number(QStringLiteral("pan"), -1, 1);
        track.solo = t.flag(QStringLiteral("solo"));
        t.forEach(QStringLiteral("clips"), [&](const Reader& c) { track.clips.append(readClip(c)); });
        track.foreign = t.optionalObject(QStringLiteral("foreign"));
        s.tracks.append(track);
    });
    s.foreign = r.optionalObject(QStringLiteral("foreign"));
    r.forEach(QStringLiteral("markers"), [&](const Reader& m) {
        s.markers.append(Marker{m.id(QStringLiteral("id")), m.integer(QStringLiteral("frame"), 0),
                                m.text(QStringLiteral("name")), m.text(QStringLiteral("color"))});
    });
    return s;
}

ProjectState readState(const Reader& r) {
    ProjectState s;
    s.name = r.text(QStringLiteral("name"));
    r.forEach(QStringLiteral("bins"), [&](const Reader& b) {
        s.bins.append(Bin{b.id(QStringLiteral("id")), b.id(QStringLiteral("parent")), b.text(QStringLiteral("name"))});
    });
    r.forEach(QStringLiteral("assets"), [&](const Reader& a) { s.assets.append(readAsset(a)); });
    r.forEach(QStringLiteral("takes"), [&](const Reader& t) { s.takes.append(readTake(t)); });
    r.forEach(QStringLiteral("masks"), [&](const Reader& m) { s.masks.append(readMask(m)); });
    r.forEach(QStringLiteral("sequences"), [&](const Reader& q) { s.sequences.append(readSequence(q)); });
    if (s.sequences.isEmpty()) r.fail(QStringLiteral("sequences"), QStringLiteral("a project has at least one sequence"));
    return s;
}

// ---- migrations. Schema 1 was the first project layout: one sequence ("sequence"), rates as decimals,
// media-only assets with "has_video"/"has_audio". Each step rewrites the JSON one version up.

QJsonObject migrate1to2(QJsonObject o) {
    QJsonArray assets;
    for (const QJsonValue& v : o.value(QStringLiteral("assets")).toArray()) {
        QJsonObject a = v.toObject();
        QJsonObject b{{"id", a.value("id")},         {"bin", 0},
                      {"kind", "media"},             {"path", a.value("path")},
                      {"label", a.value("label")},   {"video", a.value("has_video")},
                      {"audio", a.value("has_audio")}, {"width", a.value("width")},
                      {"height", a.value("height")}, {"fps", a.value("fps")},
                      {"duration", a.value("duration")}, {"prompt", a.value("prompt").toString()},
                      {"role", ""},                  {"revision", 0},
                      {"original_name", ""},         {"active_take", 0}};
        assets.append(b);
    }
    QJsonObject seq = o.value(QStringLiteral("sequence")).toObject();
    const QJsonValue fps = seq.value(QStringLiteral("fps"));
    if (fps.isDouble()) {
        const Rational r = Rational::fromRate(fps.toDouble());
        seq[QStringLiteral("fps")] = rationalJson(r);
    }
    if (!seq.contains(QStringLiteral("width"))) seq[QStringLiteral("width")] = 1280;
    if (!seq.contains(QStringLiteral("height"))) seq[QStringLiteral("height")] = 720;
    if (!seq.contains(QStringLiteral("markers"))) seq[QStringLiteral("markers")] = QJsonArray();
    QJsonArray tracks;
    for (const QJsonValue& tv : seq.value(QStringLiteral("tracks")).toArray()) {
        QJsonObject t = tv.toObject();
        QJsonArray clips;
        for (const QJsonValue& cv : t.value(QStringLiteral("clips")).toArray()) {
            QJsonObject c = cv.toObject();
            clips.append(QJsonObject{{"id", c.value("id")},         {"asset", c.value("asset")},
                                     {"take", 0},                   {"position", c.value("position")},
                                     {"source_in", c.value("source_in")}, {"length", c.value("length")},
                                     {"gain_db", 0},                {"opacity", 1},
                                     {"link", c.value("link")},     {"mask", 0}});
        }
        t[QStringLiteral("clips")] = clips;
        t[QStringLiteral("muted")] = false;
        t[QStringLiteral("locked")] = false;
        tracks.append(t);
    }
    seq[QStringLiteral("tracks")] = tracks;
    QJsonObject out{{"format", "tandem-project"},
                    {"schema", 2},
                    {"name", o.value(QStringLiteral("name")).toString(QStringLiteral("Untitled"))},
                    {"bins", QJsonArray()},
                    {"assets", assets},
                    {"takes", QJsonArray()},
                    {"masks", QJsonArray()},
                    {"sequences", QJsonArray{seq}}};
    return out;
}

} // namespace

QByteArray serializeProject(const ProjectState& state) {
    QJsonArray bins, assets, takes, masks, sequences;
    for (const Bin& b : state.bins)
        bins.append(QJsonObject{{"id", double(b.id)}, {"parent", double(b.parentId)}, {"name", b.name}});
    for (const Asset& a : state.assets) assets.append(assetJson(a));
    for (const Take& t : state.takes) takes.append(takeJson(t));
    for (const Mask& m : state.masks) masks.append(maskJson(m));
    for (const Sequence& s : state.sequences) sequences.append(sequenceJson(s));
    const QJsonObject root{{"format", "tandem-project"}, {"schema", kProjectSchema}, {"name", state.name},
                           {"bins", bins},               {"assets", assets},         {"takes", takes},
                           {"masks", masks},             {"sequences", sequences}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

namespace {

// Rewrites every track and clip of an older project file (migrations add fields with their neutral values).
QJsonObject withTracks(QJsonObject root, int schema, const std::function<void(QJsonObject& track)>& onTrack,
                       const std::function<void(QJsonObject& clip)>& onClip) {
    QJsonArray sequences;
    for (const QJsonValue& sv : root.value(QStringLiteral("sequences")).toArray()) {
        QJsonObject seq = sv.toObject();
        QJsonArray tracks;
        for (const QJsonValue& tv : seq.value(QStringLiteral("tracks")).toArray()) {
            QJsonObject t = tv.toObject();
            onTrack(t);
            QJsonArray clips;
            for (const QJsonValue& cv : t.value(QStringLiteral("clips")).toArray()) {
                QJsonObject c = cv.toObject();
                onClip(c);
                clips.append(c);
            }
            t[QStringLiteral("clips")] = clips;
            tracks.append(t);
        }
        seq[QStringLiteral("tracks")] = tracks;
        sequences.append(seq);
    }
    root[QStringLiteral("sequences")] = sequences;
    root[QStringLiteral("schema")] = schema;
    return root;
}

// Schema 3 added track gain, pan and solo, and clip fades and dissolves: a schema 2 project had none.
QJsonObject migrate2to3(QJsonObject root) {
    return withTracks(std::move(root), 3,
                      [](QJsonObject& t) {
                          t[QStringLiteral("gain_db")] = 0;
                          t[QStringLiteral("pan")] = 0;
                          t[QStringLiteral("solo")] = false;
                      },
                      [](QJsonObject& c) {
                          c[QStringLiteral("fade_in")] = 0;
                          c[QStringLiteral("fade_out")] = 0;
                          c[QStringLiteral("dissolve_in")] = 0;
                      });
}

// Schema 4 added the audio delay of clips (lip-sync nudges finer than a frame): none before.
QJsonObject migrate3to4(QJsonObject root) {
    return withTracks(std::move(root), 4, [](QJsonObject&) {}, [](QJsonObject& c) { c[QStringLiteral("audio_delay_ms")] = 0; });
}

} // namespace

std::optional<ProjectState> parseProject(const QByteArray& bytes, QString* error) {
    auto failWith = [&](const QString& why) -> std::optional<ProjectState> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (bytes.trimmed().isEmpty()) return failWith(QStringLiteral("the project file is empty"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return failWith(QStringLiteral("the project file is damaged (%1 at byte %2)")
                            .arg(parseError.errorString())
                            .arg(parseError.offset));
    if (!doc.isObject()) return failWith(QStringLiteral("the project file does not hold a project"));
    QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("tandem-project"))
        return failWith(QStringLiteral("this is not a Tandem project file"));
    const QJsonValue schema = root.value(QStringLiteral("schema"));
    if (!schema.isDouble() || schema.toDouble() < 1 || schema.toDouble() != std::floor(schema.toDouble()))
        return failWith(QStringLiteral("the project file has no valid schema version"));
    const int version = schema.toInt();
    if (version > kProjectSchema)
        return failWith(QStringLiteral("this project was saved by a newer Tandem (project format %1; this version "
                                       "reads up to %2). Open it with a newer Tandem; the file was not changed.")
                            .arg(version)
                            .arg(kProjectSchema));
    if (version == 1) root = migrate1to2(root);
    if (version <= 2) root = migrate2to3(root);
    if (version <= 3) root = migrate3to4(root);
    try {
        ProjectState state = readState(Reader(root, {}));
        if (QString why = state.consistencyError(); !why.isEmpty())
            return failWith(QStringLiteral("the project is inconsistent: %1").arg(why));
        return state;
    } catch (const BadFile& e) {
        return failWith(QStringLiteral("the project file is damaged: %1").arg(QString::fromStdString(e.what())));
    }
}

} // namespace tandem::timeline
