#include "timeline/otio.h"

#include "timeline/paths.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <array>
#include <cmath>
#include <map>
#include <stdexcept>

namespace tandem::timeline {

namespace {

// ---- export

QJsonObject rationalTime(qint64 frames, double rate) {
    return {{"OTIO_SCHEMA", "RationalTime.1"}, {"rate", rate}, {"value", double(frames)}};
}

QJsonObject timeRange(qint64 start, qint64 duration, double rate) {
    return {{"OTIO_SCHEMA", "TimeRange.1"}, {"start_time", rationalTime(start, rate)},
            {"duration", rationalTime(duration, rate)}};
}

// OTIO marker colours are names; ours are #rrggbb. One table, read both ways.
constexpr std::pair<const char*, const char*> kMarkerColours[] = {
    {"RED", "#ff0000"},  {"ORANGE", "#ff8000"}, {"YELLOW", "#e0c040"}, {"GREEN", "#00c000"},
    {"CYAN", "#00c0c0"}, {"BLUE", "#2060ff"},   {"PURPLE", "#8040c0"}, {"MAGENTA", "#ff00ff"},
    {"PINK", "#ff80c0"}, {"BLACK", "#000000"},  {"WHITE", "#ffffff"}};

// The nearest OTIO colour name to a #rrggbb colour.
QString markerColorName(const QString& hex) {
    auto rgb = [](const QString& h) {
        const uint v = h.mid(1).toUInt(nullptr, 16);
        return std::array<int, 3>{int(v >> 16 & 255), int(v >> 8 & 255), int(v & 255)};
    };
    if (!hex.startsWith(QLatin1Char('#')) || hex.size() != 7) return QStringLiteral("YELLOW");
    const auto c = rgb(hex);
    const char* best = "YELLOW";
    int bestDistance = 1 << 30;
    for (const auto& [name, h] : kMarkerColours) {
        const auto t = rgb(QLatin1String(h));
        const int d = (c[0] - t[0]) * (c[0] - t[0]) + (c[1] - t[1]) * (c[1] - t[1]) + (c[2] - t[2]) * (c[2] - t[2]);
        if (d < bestDistance) {
            bestDistance = d;
            best = name;
        }
    }
    return QLatin1String(best);
}

QString markerHex(const QString& name) {
    for (const auto& [n, hex] : kMarkerColours)
        if (name.compare(QLatin1String(n), Qt::CaseInsensitive) == 0) return QLatin1String(hex);
    return QStringLiteral("#e0c040");
}

QJsonObject itemCommon(const QString& schema, const QString& name) {
    return {{"OTIO_SCHEMA", schema}, {"name", name},          {"metadata", QJsonObject()},
            {"effects", QJsonArray()}, {"markers", QJsonArray()}, {"enabled", true}};
}

QJsonObject exportClip(const ProjectState& s, const Clip& c, const Sequence& seq, const QString& bundleDir,
                       double rate) {
    const Asset* a = s.asset(c.assetId);
    QJsonObject clip = itemCommon(QStringLiteral("Clip.2"), a->label);
    clip[QStringLiteral("source_range")] = timeRange(c.sourceIn, c.length, rate);
    const QString media = s.mediaPathOfClip(c);
    QJsonObject ref;
    if (media.isEmpty()) {
        ref = {{"OTIO_SCHEMA", "MissingReference.1"}, {"name", a->originalName}, {"metadata", QJsonObject()},
               {"available_range", QJsonValue()}};
    } else {
        const QString absolute = QDir(bundleDir).absoluteFilePath(media);
        ref = {{"OTIO_SCHEMA", "ExternalReference.1"},
               {"name", QFileInfo(media).fileName()},
               {"metadata", QJsonObject()},
               {"target_url", QUrl::fromLocalFile(absolute).toString()},
               {"available_range", timeRange(0, s.sourceLengthFrames(c, seq.time), rate)}};
    }
    clip[QStringLiteral("media_references")] = QJsonObject{{"DEFAULT_MEDIA", ref}};
    clip[QStringLiteral("active_media_reference_key")] = QStringLiteral("DEFAULT_MEDIA");
    // What OTIO has no field for travels in metadata, so a round trip through Tandem keeps it.
    clip[QStringLiteral("metadata")] = QJsonObject{
        {"tandem", QJsonObject{{"gain_db", c.gainDb}, {"opacity", c.opacity}, {"take", double(c.takeId)}}}};
    return clip;
}

// ---- import

struct BadOtio : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(const QString& why) { throw BadOtio(why.toStdString()); }

QString schemaOf(const QJsonObject& o) { return o.value(QStringLiteral("OTIO_SCHEMA")).toString(); }
bool schemaIs(const QJsonObject& o, const char* family) {
    return schemaOf(o).section(QLatin1Char('.'), 0, 0) == QLatin1String(family);
}

struct Time {
    double value = 0, rate = 0;
    double seconds() const { return value / rate; }
};

Time readTime(const QJsonValue& v, const QString& where) {
    const QJsonObject o = v.toObject();
    if (!v.isObject() || !schemaIs(o, "RationalTime")) bad(where + QStringLiteral(": expected a RationalTime"));
    const Time t{o.value(QStringLiteral("value")).toDouble(std::nan("")), o.value(QStringLiteral("rate")).toDouble(std::nan(""))};
    if (!std::isfinite(t.value) || !(t.rate > 0)) bad(where + QStringLiteral(": a time needs a finite value and a positive rate"));
    return t;
}

struct Range {
    Time start, duration;
};

std::optional<Range> readRange(const QJsonValue& v, const QString& where) {
    if (v.isNull() || v.isUndefined()) return std::nullopt;
    const QJsonObject o = v.toObject();
    if (!v.isObject() || !schemaIs(o, "TimeRange")) bad(where + QStringLiteral(": expected a TimeRange"));
    Range r{readTime(o.value(QStringLiteral("start_time")), where + QStringLiteral(".start_time")),
            readTime(o.value(QStringLiteral("duration")), where + QStringLiteral(".duration"))};
    if (r.duration.value < 0) bad(where + QStringLiteral(": negative duration"));
    return r;
}

QJsonObject activeReference(const QJsonObject& clip) {
    if (clip.contains(QStringLiteral("media_references"))) { // Clip.2
        const QJsonObject refs = clip.value(QStringLiteral("media_references")).toObject();
        const QString key = clip.value(QStringLiteral("active_media_reference_key")).toString(QStringLiteral("DEFAULT_MEDIA"));
        return refs.value(key).toObject();
    }
    return clip.value(QStringLiteral("media_reference")).toObject(); // Clip.1
}

// A file URL or path as an absolute local path ("" if it names no local file).
QString localPath(const QString& url, const QString& otioDir) {
    if (url.isEmpty()) return {};
    const QUrl u(url);
    if (u.isLocalFile()) return u.toLocalFile();
    if (!u.scheme().isEmpty() && u.scheme().size() > 1) return {}; // http:, s3: … not files here
    return QDir(otioDir).absoluteFilePath(url);
}

class Importer {
public:
    Importer(const QString& otioDir, const OtioImportHooks& hooks) : dir_(otioDir), hooks_(hooks) {}

    OtioImport run(const QJsonObject& root) {
        if (!schemaIs(root, "Timeline")) {
            if (schemaIs(root, "SerializableCollection"))
                bad(QStringLiteral("the file holds a collection of timelines; export a single timeline"));
            bad(QStringLiteral("the file is not an OpenTimelineIO timeline (found \"%1\")").arg(schemaOf(root)));
        }
        const QJsonObject stack = root.value(QStringLiteral("tracks")).toObject();
        if (!schemaIs(stack, "Stack")) bad(QStringLiteral("the timeline has no track stack"));
        const QJsonArray tracks = stack.value(QStringLiteral("children")).toArray();
        seq_.id = next();
        seq_.name = root.value(QStringLiteral("name")).toString();
        if (seq_.name.isEmpty()) seq_.name = QStringLiteral("Imported");
        seq_.time.fps = Rational::fromRate(findRate(root, tracks));
        out_.state.name = seq_.name;

        QList<Track> video, audio;
        for (int i = 0; i < tracks.size(); ++i) {
            const QJsonObject t = tracks[i].toObject();
            const QString where = QStringLiteral("tracks[%1]").arg(i);
            if (schemaIs(t, "Stack")) bad(where + QStringLiteral(": nested stacks are not supported; flatten them first"));
            if (!schemaIs(t, "Track")) bad(where + QStringLiteral(": expected a Track, found \"%1\"").arg(schemaOf(t)));
            const QString kind = t.value(QStringLiteral("kind")).toString();
            if (kind != QLatin1String("Video") && kind != QLatin1String("Audio"))
                bad(where + QStringLiteral(": track kind \"%1\" is not Video or Audio").arg(kind));
            const TrackKind k = kind == QLatin1String("Video") ? TrackKind::Video : TrackKind::Audio;
            Track track = readTrack(t, k, where);
            (k == TrackKind::Video ? video : audio).append(track);
        }
        if (video.isEmpty() && audio.isEmpty()) bad(QStringLiteral("the timeline has no tracks"));
        seq_.tracks = video + audio;
        for (const QJsonValue& m : stack.value(QStringLiteral("markers")).toArray()) readMarker(m.toObject());
        linkPairs();
        out_.state.sequences.append(seq_);
        if (QString why = out_.state.consistencyError(); !why.isEmpty())
            bad(QStringLiteral("the timeline cannot be represented: %1").arg(why));
        return out_;
    }

private:
    QString dir_;
    const OtioImportHooks& hooks_;
    OtioImport out_;
    Sequence seq_;
    Id nextId_ = 1;
    std::map<QString, Id> assetByUrl_;

    Id next() { return nextId_++; }

    // The timeline's rate: its start time's, else the first item's.
    double findRate(const QJsonObject& root, const QJsonArray& tracks) {
        const QJsonValue start = root.value(QStringLiteral("global_start_time"));
        if (start.isObject()) return readTime(start, QStringLiteral("global_start_time")).rate;
        for (const QJsonValue& t : tracks)
            for (const QJsonValue& item : t.toObject().value(QStringLiteral("children")).toArray())
                if (auto r = readRange(item.toObject().value(QStringLiteral("source_range")), QStringLiteral("item")))
                    return r->duration.rate;
        return 32;
    }

    Track readTrack(const QJsonObject& t, TrackKind kind, const QString& where) {
        Track track;
        track.id = next();
        track.kind = kind;
        track.name = t.value(QStringLiteral("name")).toString();
        if (track.name.isEmpty()) track.name = (kind == TrackKind::Video ? QStringLiteral("V") : QStringLiteral("A"));
        track.muted = !t.value(QStringLiteral("enabled")).toBool(true);
        if (!t.value(QStringLiteral("source_range")).isNull() && t.contains(QStringLiteral("source_range")))
            out_.warnings.append(where + QStringLiteral(": the track's own trim was ignored"));
        const QJsonArray items = t.value(QStringLiteral("children")).toArray();
        qint64 position = 0;
        for (int i = 0; i < items.size(); ++i) {
            const QJsonObject item = items[i].toObject();
            const QString here = where + QStringLiteral(".children[%1]").arg(i);
            if (schemaIs(item, "Transition")) {
                out_.warnings.append(here + QStringLiteral(": a transition was skipped (cut instead)"));
                continue; // transitions overlap their neighbours and take no time of their own
            }
            if (schemaIs(item, "Stack") || schemaIs(item, "Track"))
                bad(here + QStringLiteral(": nested compositions are not supported; flatten them first"));
            const bool isGap = schemaIs(item, "Gap");
            if (!isGap && !schemaIs(item, "Clip"))
                bad(here + QStringLiteral(": \"%1\" is not a clip, gap or transition").arg(schemaOf(item)));
            const QJsonObject ref = isGap ? QJsonObject() : activeReference(item);
            const auto available = isGap ? std::nullopt : readRange(ref.value(QStringLiteral("available_range")), here + QStringLiteral(".available_range"));
            auto range = readRange(item.value(QStringLiteral("source_range")), here + QStringLiteral(".source_range"));
            if (!range) range = available;
            if (!range) bad(here + QStringLiteral(": has neither a source range nor a known media range"));
            const qint64 length = seq_.time.framesForTime(range->duration.value, range->duration.rate);
            if (!isGap && length > 0) {
                if (!item.value(QStringLiteral("effects")).toArray().isEmpty())
                    out_.warnings.append(here + QStringLiteral(": effects (speed changes included) were ignored"));
                Clip c;
                c.id = next();
                c.position = position;
                // Source times count from the media's own start (often a timecode like 01:00:00:00).
                const double mediaStart = available ? available->start.seconds() : 0.0;
                c.sourceIn = std::max<qint64>(0, seq_.time.framesForSeconds(range->start.seconds() - mediaStart));
                c.length = length;
                c.assetId = assetFor(ref, item.value(QStringLiteral("name")).toString(), kind, available, here);
                const QJsonObject meta = item.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("tandem")).toObject();
                c.gainDb = std::clamp(meta.value(QStringLiteral("gain_db")).toDouble(0), -96.0, 24.0);
                c.opacity = std::clamp(meta.value(QStringLiteral("opacity")).toDouble(1), 0.0, 1.0);
                track.clips.append(c);
                fitDuration(c);
            }
            position += length;
        }
        return track;
    }

    Id assetFor(const QJsonObject& ref, const QString& clipName, TrackKind kind, const std::optional<Range>& available,
                const QString& where) {
        const QString url = ref.value(QStringLiteral("target_url")).toString();
        const QString key = url.isEmpty() ? QStringLiteral("missing:") + clipName : url;
        Id id = 0;
        if (auto it = assetByUrl_.find(key); it != assetByUrl_.end()) {
            id = it->second;
        } else {
            Asset a;
            a.id = id = next();
            a.label = clipName.isEmpty() ? QFileInfo(QUrl(url).path()).fileName() : clipName;
            if (a.label.isEmpty()) a.label = QStringLiteral("Clip");
            a.originalName = url.isEmpty() ? ref.value(QStringLiteral("name")).toString() : url;
            if (available) a.duration = available->duration.seconds();
            const QString file = localPath(url, dir_);
            if (!schemaIs(ref, "ExternalReference")) {
                out_.warnings.append(where + QStringLiteral(": \"%1\" has no file reference; it is offline").arg(a.label));
            } else if (file.isEmpty() || !QFileInfo(file).isFile()) {
                out_.warnings.append(where + QStringLiteral(": media not found (%1); it is offline").arg(url));
            } else if (!hooks_.adoptMedia) {
                out_.warnings.append(where + QStringLiteral(": media left offline (%1)").arg(url));
            } else {
                QString why;
                const QString inBundle = hooks_.adoptMedia(file, &why);
                if (inBundle.isEmpty()) out_.warnings.append(where + QStringLiteral(": %1; it is offline").arg(why));
                a.path = inBundle;
                if (!a.path.isEmpty() && hooks_.probe && !hooks_.probe(file, a))
                    out_.warnings.append(where + QStringLiteral(": %1 could not be read; using the timeline's ranges").arg(url));
            }
            out_.state.assets.append(a);
            assetByUrl_[key] = id;
        }
        Asset* a = out_.state.asset(id);
        // A file that appears on a video track has a picture, on an audio track sound, whatever probing said.
        (kind == TrackKind::Video ? a->hasVideo : a->hasAudio) = true;
        return id;
    }

    // An offline asset, or one whose known duration is shorter than what the timeline uses, is taken to be
    // as long as its longest use, so the project stays consistent.
    void fitDuration(const Clip& c) {
        Asset* a = out_.state.asset(c.assetId);
        const double needed = seq_.time.secondsForFrames(c.sourceOut());
        if (a->path.isEmpty() || seq_.time.framesForSeconds(a->duration) < c.sourceOut())
            a->duration = std::max(a->duration, needed);
    }

    void readMarker(const QJsonObject& m) {
        if (!schemaIs(m, "Marker")) return;
        const auto range = readRange(m.value(QStringLiteral("marked_range")), QStringLiteral("marker"));
        if (!range) return;
        Marker marker{next(), std::max<qint64>(0, seq_.time.framesForSeconds(range->start.seconds())),
                      m.value(QStringLiteral("name")).toString(), markerHex(m.value(QStringLiteral("color")).toString())};
        auto at = std::upper_bound(seq_.markers.begin(), seq_.markers.end(), marker.frame,
                                   [](qint64 f, const Marker& x) { return f < x.frame; });
        seq_.markers.insert(at, marker);
    }

    // OTIO has no A/V links: a picture clip and a sound clip of the same media over the same range are a pair.
    void linkPairs() {
        for (Track& vt : seq_.tracks) {
            if (vt.kind != TrackKind::Video) continue;
            for (Clip& v : vt.clips)
                for (Track& at : seq_.tracks) {
                    if (at.kind != TrackKind::Audio || v.linkedClipId) continue;
                    for (Clip& a : at.clips)
                        if (!a.linkedClipId && a.assetId == v.assetId && a.position == v.position &&
                            a.sourceIn == v.sourceIn && a.length == v.length) {
                            v.linkedClipId = a.id;
                            a.linkedClipId = v.id;
                            break;
                        }
                }
        }
    }
};

} // namespace

QByteArray exportOtio(const ProjectState& s, Id sequenceId, const QString& bundleDir, QString* error) {
    const Sequence* seq = s.sequence(sequenceId);
    if (!seq) {
        if (error) *error = QStringLiteral("no sequence with id %1").arg(sequenceId);
        return {};
    }
    const double rate = seq->time.fps.toDouble();
    QJsonArray tracks;
    for (const Track& t : seq->tracks) {
        QJsonArray items;
        qint64 at = 0;
        for (const Clip& c : t.clips) {
            if (c.position > at) {
                QJsonObject gap = itemCommon(QStringLiteral("Gap.1"), QString());
                gap[QStringLiteral("source_range")] = timeRange(0, c.position - at, rate);
                items.append(gap);
            }
            items.append(exportClip(s, c, *seq, bundleDir, rate));
            at = c.end();
        }
        QJsonObject track = itemCommon(QStringLiteral("Track.1"), t.name);
        track[QStringLiteral("kind")] = t.kind == TrackKind::Video ? QStringLiteral("Video") : QStringLiteral("Audio");
        track[QStringLiteral("children")] = items;
        track[QStringLiteral("source_range")] = QJsonValue();
        track[QStringLiteral("enabled")] = !t.muted;
        tracks.append(track);
    }
    QJsonArray markers;
    for (const Marker& m : seq->markers)
        markers.append(QJsonObject{{"OTIO_SCHEMA", "Marker.2"},
                                   {"name", m.name},
                                   {"comment", QString()},
                                   {"color", markerColorName(m.color)},
                                   {"metadata", QJsonObject()},
                                   {"marked_range", timeRange(m.frame, 0, rate)}});
    QJsonObject stack = itemCommon(QStringLiteral("Stack.1"), QStringLiteral("tracks"));
    stack[QStringLiteral("children")] = tracks;
    stack[QStringLiteral("markers")] = markers;
    stack[QStringLiteral("source_range")] = QJsonValue();
    const QJsonObject timeline{{"OTIO_SCHEMA", "Timeline.1"},
                               {"name", seq->name},
                               {"metadata", QJsonObject{{"tandem", QJsonObject{{"project", s.name}}}}},
                               {"global_start_time", rationalTime(0, rate)},
                               {"tracks", stack}};
    return QJsonDocument(timeline).toJson(QJsonDocument::Indented);
}

std::optional<OtioImport> importOtio(const QByteArray& json, const QString& otioDir, const OtioImportHooks& hooks,
                                     QString* error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("not OpenTimelineIO JSON (%1 at byte %2)").arg(parseError.errorString()).arg(parseError.offset);
        return std::nullopt;
    }
    try {
        return Importer(otioDir, hooks).run(doc.object());
    } catch (const BadOtio& e) {
        if (error) *error = QString::fromStdString(e.what());
        return std::nullopt;
    }
}

} // namespace tandem::timeline
