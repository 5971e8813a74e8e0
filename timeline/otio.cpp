#include "timeline/otio.h"

#include "timeline/hand_off.h"
#include "timeline/paths.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>

namespace tandem::timeline {

namespace {

// ---- numbers as OTIO writes them

// OTIO writes non-finite doubles as bare Infinity, -Infinity and NaN (older files: Inf), and integers of any
// size; JSON parsers, Qt's too, refuse the first and round the second. Before parsing, each such token
// outside a string becomes a string starting with kVerbatimNumber, so metadata holding them survives a
// round trip: writing puts them back bare. A time or rate given that way is not a finite number and is
// refused where it is read.
const QByteArray kVerbatimNumber = QByteArrayLiteral("\x01otio-number:");

bool isNonFiniteToken(const QByteArray& t) {
    static const QByteArray names[] = {"Infinity", "-Infinity", "Inf", "-Inf", "inf", "-inf", "NaN", "-NaN", "nan"};
    return std::find(std::begin(names), std::end(names), t) != std::end(names);
}

bool isBeyondInt64(const QByteArray& t) {
    const QByteArray digits = t.startsWith('-') ? t.mid(1) : t;
    if (digits.isEmpty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    const QByteArray limit = t.startsWith('-') ? QByteArrayLiteral("9223372036854775808") : QByteArrayLiteral("9223372036854775807");
    return digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit);
}

QByteArray protectNumbers(const QByteArray& in) {
    QByteArray out;
    out.reserve(in.size() + 64);
    bool inString = false;
    auto isTokenChar = [](char c) { return std::isalnum(uchar(c)) || c == '.' || c == '+' || c == '-'; };
    for (qsizetype i = 0; i < in.size();) {
        const char c = in[i];
        if (inString) {
            out += c;
            ++i;
            if (c == '\\' && i < in.size()) out += in[i++];
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
            out += c;
            ++i;
        } else if (isTokenChar(c)) {
            qsizetype j = i + 1;
            while (j < in.size() && isTokenChar(in[j])) ++j;
            const QByteArray token = in.mid(i, j - i);
            if (isNonFiniteToken(token) || isBeyondInt64(token)) out += '"' + kVerbatimNumber + token + '"';
            else out += token;
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

QByteArray restoreNumbers(const QByteArray& json) {
    static const QRegularExpression marked(QStringLiteral("\"\\\\u0001otio-number:([-+.0-9A-Za-z]*)\""),
                                           QRegularExpression::CaseInsensitiveOption);
    return QString::fromUtf8(json).replace(marked, QStringLiteral("\\1")).toUtf8();
}

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

// A marker colour as OTIO writes it: a name (Marker.2) or a Color.1 object with a name and 0–1 channels
// (Marker.3).
QString markerHex(const QJsonValue& colour) {
    if (colour.isObject()) {
        const QJsonObject c = colour.toObject();
        const QString named = c.value(QStringLiteral("name")).toString();
        for (const auto& [n, hex] : kMarkerColours)
            if (named.compare(QLatin1String(n), Qt::CaseInsensitive) == 0) return QLatin1String(hex);
        auto channel = [&](const char* key) {
            return std::clamp(int(std::lround(c.value(QLatin1String(key)).toDouble(1) * 255)), 0, 255);
        };
        return QStringLiteral("#%1%2%3").arg(channel("r"), 2, 16, QLatin1Char('0')).arg(channel("g"), 2, 16, QLatin1Char('0')).arg(channel("b"), 2, 16, QLatin1Char('0'));
    }
    const QString name = colour.toString();
    for (const auto& [n, hex] : kMarkerColours)
        if (name.compare(QLatin1String(n), Qt::CaseInsensitive) == 0) return QLatin1String(hex);
    return QStringLiteral("#e0c040");
}

// The `foreign` object of a clip, track or sequence holds what an OTIO import kept under "otio".
QJsonObject keptOtio(const QJsonObject& foreign) { return foreign.value(QStringLiteral("otio")).toObject(); }

QJsonObject itemCommon(const QString& schema, const QString& name, const QJsonObject& foreign = {},
                       const QJsonObject& tandem = {}) {
    const QJsonObject kept = keptOtio(foreign);
    QJsonObject metadata = kept.value(QStringLiteral("metadata")).toObject();
    if (!tandem.isEmpty()) metadata[QStringLiteral("tandem")] = tandem;
    return {{"OTIO_SCHEMA", schema}, {"name", name},
            {"metadata", metadata},  {"effects", kept.value(QStringLiteral("effects")).toArray()},
            {"markers", QJsonArray()}, {"enabled", true}};
}

QJsonObject exportClip(const ProjectState& s, const Clip& c, const Sequence& seq, const QString& bundleDir,
                       double rate) {
    const Asset* a = s.asset(c.assetId);
    // What OTIO has no field for travels in metadata, so a round trip through Tandem keeps it.
    const QJsonObject tandem{{"gain_db", c.gainDb},          {"opacity", c.opacity},
                             {"take", double(c.takeId)},     {"fade_in", double(c.fadeIn)},
                             {"fade_out", double(c.fadeOut)}, {"audio_delay_ms", c.audioDelayMs}};
    QJsonObject clip = itemCommon(QStringLiteral("Clip.2"), a->label, c.foreign, tandem);
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
    return clip;
}

// A dissolve of L frames centred on the cut, as the compositor plays it: L/2 before, the rest after.
QJsonObject exportDissolve(qint64 frames, double rate) {
    QJsonObject t{{"OTIO_SCHEMA", "Transition.1"}, {"name", "Cross Dissolve"}, {"metadata", QJsonObject()},
                  {"transition_type", "SMPTE_Dissolve"}};
    t[QStringLiteral("in_offset")] = rationalTime(frames / 2, rate);
    t[QStringLiteral("out_offset")] = rationalTime(frames - frames / 2, rate);
    return t;
}

// ---- import

struct BadOtio : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(const QString& why) { throw BadOtio(why.toStdString()); }

QString schemaOf(const QJsonObject& o) { return o.value(QStringLiteral("OTIO_SCHEMA")).toString(); }
QString familyOf(const QJsonObject& o) {
    const QString family = schemaOf(o).section(QLatin1Char('.'), 0, 0);
    // Names OTIO's library still reads for older files.
    if (family == QLatin1String("Sequence")) return QStringLiteral("Track");
    if (family == QLatin1String("Filler")) return QStringLiteral("Gap");
    if (family == QLatin1String("SerializeableCollection")) return QStringLiteral("SerializableCollection");
    return family;
}
bool schemaIs(const QJsonObject& o, const char* family) { return familyOf(o) == QLatin1String(family); }
bool isComposition(const QJsonObject& o) { return schemaIs(o, "Track") || schemaIs(o, "Stack"); }

struct Time {
    double value = 0, rate = 0;
    double seconds() const { return value / rate; }
};

Time readTime(const QJsonValue& v, const QString& where) {
    const QJsonObject o = v.toObject();
    if (!v.isObject() || !schemaIs(o, "RationalTime")) bad(where + QStringLiteral(": expected a RationalTime"));
    const Time t{o.value(QStringLiteral("value")).toDouble(std::nan("")), o.value(QStringLiteral("rate")).toDouble(std::nan(""))};
    if (!std::isfinite(t.value) || !(t.rate > 0) || !std::isfinite(t.rate))
        bad(where + QStringLiteral(": a time needs a finite value and a positive rate"));
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

QString nameOf(const QJsonObject& o) {
    const QString n = o.value(QStringLiteral("name")).toString();
    return n.isEmpty() ? QStringLiteral("(unnamed)") : QLatin1Char('\'') + n + QLatin1Char('\'');
}

// A clip's stretch of a flattened layer, in seconds of that layer's own time.
struct Span {
    double start = 0, duration = 0;
    double sourceStart = 0; // the media's own time (its timecode included) shown at `start`
    QJsonObject clip;       // the OTIO Clip
    QString where;
    double end() const { return start + duration; }
};

// What a track or stack shows over its duration once flattened: clips only; the rest is empty.
struct Layer {
    std::vector<Span> spans; // sorted, not overlapping
    double duration = 0;
};

// The part of a span within [a, b) of the same time.
Span partOf(const Span& s, double a, double b) {
    Span p = s;
    p.sourceStart += a - s.start;
    p.start = a;
    p.duration = b - a;
    return p;
}

// The part of `layer` within [from, from + length), moved to start at 0.
Layer cutLayer(const Layer& layer, double from, double length) {
    Layer out;
    out.duration = length;
    const double to = from + length;
    for (const Span& s : layer.spans) {
        const double a = std::max(s.start, from), b = std::min(s.end(), to);
        if (b - a <= 1e-9) continue;
        Span piece = partOf(s, a, b);
        piece.start -= from;
        out.spans.push_back(piece);
    }
    return out;
}

// `top` laid over `bottom`: where the top layer shows a clip it wins, elsewhere the bottom shows through.
Layer overlay(const Layer& bottom, const Layer& top) {
    Layer out;
    out.duration = std::max(bottom.duration, top.duration);
    for (const Span& b : bottom.spans) {
        std::vector<Span> pieces{b};
        for (const Span& t : top.spans) {
            std::vector<Span> next;
            for (const Span& p : pieces) {
                if (t.end() <= p.start || t.start >= p.end()) {
                    next.push_back(p);
                    continue;
                }
                if (t.start > p.start) next.push_back(partOf(p, p.start, t.start));
                if (t.end() < p.end()) next.push_back(partOf(p, t.end(), p.end()));
            }
            pieces = next;
        }
        for (Span& p : pieces)
            if (p.duration > 1e-9) out.spans.push_back(p);
    }
    out.spans.insert(out.spans.end(), top.spans.begin(), top.spans.end());
    std::sort(out.spans.begin(), out.spans.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
    return out;
}

// A transition of a top-level track, at the cut between the items around it.
struct Cut {
    double at = 0, in = 0, out = 0; // seconds: the cut, and how far the transition reaches before and after it
    QString type, name;
};

class Importer {
public:
    Importer(const QString& otioDir, const OtioImportHooks& hooks) : dir_(otioDir), hooks_(hooks) {}

    OtioImport run(const QJsonObject& document) {
        const QJsonObject root = timelineOf(document);
        const QJsonObject stack = root.value(QStringLiteral("tracks")).toObject();
        if (!schemaIs(stack, "Stack")) bad(QStringLiteral("the timeline has no track stack"));
        const QJsonArray tracks = stack.value(QStringLiteral("children")).toArray();
        seq_.id = next();
        seq_.name = root.value(QStringLiteral("name")).toString();
        if (seq_.name.isEmpty()) seq_.name = QStringLiteral("Imported");
        seq_.time.fps = Rational::fromRate(findRate(root, tracks));
        readSequenceMetadata(root.value(QStringLiteral("metadata")).toObject());
        out_.state.name = seq_.name;
        if (!stack.value(QStringLiteral("effects")).toArray().isEmpty()) {
            keep(seq_.foreign, QStringLiteral("stack_effects"), stack.value(QStringLiteral("effects")));
            note(QStringLiteral("effects kept for export, not played"), QStringLiteral("on the timeline's stack"));
        }

        QList<Track> video, audio;
        for (int i = 0; i < tracks.size(); ++i) {
            const QJsonObject t = tracks[i].toObject();
            const QString where = QStringLiteral("tracks[%1]").arg(i);
            if (schemaIs(t, "Stack")) {
                // A stack among the tracks is a nested sequence: flattened into one track per kind it holds.
                for (TrackKind k : {TrackKind::Video, TrackKind::Audio}) {
                    if (!holdsKind(t, k)) continue;
                    Track track = topTrack(t, k, where);
                    (k == TrackKind::Video ? video : audio).append(track);
                }
                continue;
            }
            if (!schemaIs(t, "Track")) bad(where + QStringLiteral(": expected a Track, found \"%1\"").arg(schemaOf(t)));
            const QString kind = t.value(QStringLiteral("kind")).toString(QStringLiteral("Video"));
            if (kind != QLatin1String("Video") && kind != QLatin1String("Audio")) {
                note(QStringLiteral("tracks of a kind Tandem has not, left out"), QStringLiteral("%1 (%2)").arg(nameOf(t), kind));
                continue;
            }
            const TrackKind k = kind == QLatin1String("Video") ? TrackKind::Video : TrackKind::Audio;
            (k == TrackKind::Video ? video : audio).append(topTrack(t, k, where));
        }
        if (video.isEmpty() && audio.isEmpty()) bad(QStringLiteral("the timeline has no tracks"));
        seq_.tracks = video + audio;
        for (const QJsonValue& m : stack.value(QStringLiteral("markers")).toArray()) readMarker(m.toObject(), 0, 0);
        linkMatchingPairs(seq_);
        out_.state.sequences.append(seq_);
        if (QString why = out_.state.consistencyError(); !why.isEmpty())
            bad(QStringLiteral("the timeline cannot be represented: %1").arg(why));
        out_.warnings = notes_.lines();
        return out_;
    }

private:
    QString dir_;
    const OtioImportHooks& hooks_;
    OtioImport out_;
    Sequence seq_;
    Id nextId_ = 1;
    std::map<QString, Id> assetByUrl_;
    NotesByKind notes_;
    std::vector<Cut> cuts_;                // transitions of the top-level track being read

    Id next() { return nextId_++; }
    void note(const QString& what, const QString& item) { notes_.add(what, item); }
    static void keep(QJsonObject& foreign, const QString& key, const QJsonValue& value) {
        QJsonObject otio = foreign.value(QStringLiteral("otio")).toObject();
        otio[key] = value;
        foreign[QStringLiteral("otio")] = otio;
    }

    // The timeline of a document: itself, or the first of a collection (the others are named).
    QJsonObject timelineOf(const QJsonObject& document) {
        if (schemaIs(document, "Timeline")) return document;
        if (!schemaIs(document, "SerializableCollection"))
            bad(QStringLiteral("the file is not an OpenTimelineIO timeline (found \"%1\")").arg(schemaOf(document)));
        QJsonObject first;
        for (const QJsonValue& v : document.value(QStringLiteral("children")).toArray()) {
            const QJsonObject o = v.toObject();
            if (!schemaIs(o, "Timeline")) continue;
            if (first.isEmpty()) first = o;
            else note(QStringLiteral("other timelines of the collection, not imported"), nameOf(o));
        }
        if (first.isEmpty()) bad(QStringLiteral("the collection holds no timeline"));
        return first;
    }

    // The timeline's rate: its start time's, else the first item's anywhere in it.
    double findRate(const QJsonObject& root, const QJsonArray& tracks) {
        const QJsonValue start = root.value(QStringLiteral("global_start_time"));
        if (start.isObject()) return readTime(start, QStringLiteral("global_start_time")).rate;
        std::function<double(const QJsonArray&)> firstRate = [&](const QJsonArray& items) -> double {
            for (const QJsonValue& v : items) {
                const QJsonObject item = v.toObject();
                if (auto r = readRange(item.value(QStringLiteral("source_range")), QStringLiteral("item"))) return r->duration.rate;
                if (double r = firstRate(item.value(QStringLiteral("children")).toArray()); r > 0) return r;
            }
            return 0;
        };
        const double rate = firstRate(tracks);
        return rate > 0 ? rate : 32;
    }

    void readSequenceMetadata(QJsonObject metadata) {
        const QJsonObject tandem = metadata.take(QStringLiteral("tandem")).toObject();
        if (tandem.contains(QStringLiteral("width")) && tandem.contains(QStringLiteral("height"))) {
            seq_.width = std::clamp(tandem.value(QStringLiteral("width")).toInt(1280), 16, 16384);
            seq_.height = std::clamp(tandem.value(QStringLiteral("height")).toInt(720), 16, 16384);
        }
        if (tandem.contains(QStringLiteral("sample_rate")))
            seq_.time.sampleRate = std::clamp(tandem.value(QStringLiteral("sample_rate")).toInt(48000), 8000, 384000);
        if (tandem.contains(QStringLiteral("unknown_items")))
            keep(seq_.foreign, QStringLiteral("unknown_items"), tandem.value(QStringLiteral("unknown_items")));
        if (!metadata.isEmpty()) keep(seq_.foreign, QStringLiteral("metadata"), metadata);
    }

    static bool holdsKind(const QJsonObject& stack, TrackKind kind) {
        for (const QJsonValue& v : stack.value(QStringLiteral("children")).toArray()) {
            const QJsonObject c = v.toObject();
            if (schemaIs(c, "Track") && kindOf(c, TrackKind::Video) == kind) return true;
            if (schemaIs(c, "Stack") && holdsKind(c, kind)) return true;
            if ((schemaIs(c, "Clip") || schemaIs(c, "Gap")) && kind == TrackKind::Video) return true;
        }
        return false;
    }

    static std::optional<TrackKind> kindOf(const QJsonObject& track, std::optional<TrackKind> otherwise) {
        const QString kind = track.value(QStringLiteral("kind")).toString();
        if (kind == QLatin1String("Video")) return TrackKind::Video;
        if (kind == QLatin1String("Audio")) return TrackKind::Audio;
        return kind.isEmpty() ? otherwise : std::nullopt;
    }

    // ---- flattening

    // A composition (track or stack) as one layer of clips over its own time. `depth` 0 is a timeline track.
    Layer compositionLayer(const QJsonObject& comp, TrackKind kind, const QString& where, int depth) {
        return schemaIs(comp, "Stack") ? stackLayer(comp, kind, where, depth) : trackLayer(comp, kind, where, depth);
    }

    // A stack's children bottom to top, the upper winning wherever it shows a clip (OTIO's flatten_stack).
    Layer stackLayer(const QJsonObject& stack, TrackKind kind, const QString& where, int depth) {
        Layer flat;
        const QJsonArray children = stack.value(QStringLiteral("children")).toArray();
        if (children.isEmpty() && depth > 0)
            note(QStringLiteral("nested sequences whose contents the file does not hold, left as gaps"), nameOf(stack));
        for (int i = 0; i < children.size(); ++i) {
            const QJsonObject c = children[i].toObject();
            const QString here = where + QStringLiteral(".children[%1]").arg(i);
            if (!c.value(QStringLiteral("enabled")).toBool(true)) {
                note(QStringLiteral("disabled items, left out"), nameOf(c));
                continue;
            }
            Layer layer;
            if (schemaIs(c, "Track")) {
                const auto k = kindOf(c, kind);
                if (k != kind) {
                    if (depth > 0 || !k)
                        note(QStringLiteral("nested tracks of another kind, left out"),
                             QStringLiteral("%1 in %2").arg(nameOf(c), nameOf(stack)));
                    continue;
                }
                layer = trackLayer(c, kind, here, depth + 1);
            } else if (schemaIs(c, "Stack")) {
                layer = stackLayer(c, kind, here, depth + 1);
            } else {
                // A clip or gap directly in a stack is a layer of one item from the stack's start.
                QJsonObject wrapper{{"OTIO_SCHEMA", "Track.1"}, {"children", QJsonArray{c}}};
                layer = trackLayer(wrapper, kind, here, depth + 1);
            }
            flat = overlay(flat, layer);
        }
        return flat;
    }

    Layer trackLayer(const QJsonObject& track, TrackKind kind, const QString& where, int depth) {
        Layer layer;
        const QJsonArray items = track.value(QStringLiteral("children")).toArray();
        double position = 0;
        for (int i = 0; i < items.size(); ++i) {
            const QJsonObject item = items[i].toObject();
            const QString here = where + QStringLiteral(".children[%1]").arg(i);
            if (schemaIs(item, "Transition")) {
                readTransition(item, position, here, depth);
                continue; // transitions overlap their neighbours and take no time of their own
            }
            const auto range = readRange(item.value(QStringLiteral("source_range")), here + QStringLiteral(".source_range"));
            double duration = 0;
            if (schemaIs(item, "Gap")) {
                if (!range) bad(here + QStringLiteral(": a gap without a duration"));
                duration = range->duration.seconds();
            } else if (schemaIs(item, "Clip")) {
                duration = readClipSpan(item, range, position, here, depth, layer);
            } else if (isComposition(item)) {
                duration = readNested(item, range, kind, position, here, depth, layer);
            } else {
                // A kind of item this reader does not know: its time is kept as a gap, its JSON in the
                // sequence, written back on export.
                duration = range ? range->duration.seconds() : 0;
                QJsonArray kept = keptOtio(seq_.foreign).value(QStringLiteral("unknown_items")).toArray();
                kept.append(QJsonObject{{"at_seconds", position}, {"item", item}});
                keep(seq_.foreign, QStringLiteral("unknown_items"), kept);
                note(QStringLiteral("items of unknown kinds, kept for export and shown as gaps"),
                     QStringLiteral("%1 (%2)").arg(nameOf(item), schemaOf(item)));
            }
            if (!item.value(QStringLiteral("markers")).toArray().isEmpty()) {
                const double sourceStart = range ? range->start.seconds() : 0;
                for (const QJsonValue& m : item.value(QStringLiteral("markers")).toArray()) {
                    if (depth == 0) readMarker(m.toObject(), position, sourceStart);
                    else note(QStringLiteral("markers inside nested sequences, left out"), nameOf(m.toObject()));
                }
            }
            position += duration;
        }
        layer.duration = position;
        return layer;
    }

    double readClipSpan(const QJsonObject& item, std::optional<Range> range, double position,
                        const QString& here, int depth, Layer& layer) {
        const QJsonObject ref = activeReference(item);
        const auto available = readRange(ref.value(QStringLiteral("available_range")), here + QStringLiteral(".available_range"));
        if (!range) range = available;
        if (!range) bad(here + QStringLiteral(": has neither a source range nor a known media range"));
        const double duration = range->duration.seconds();
        if (!item.value(QStringLiteral("enabled")).toBool(true)) {
            note(QStringLiteral("disabled clips, left as gaps"), nameOf(item));
            return duration;
        }
        if (schemaIs(ref, "GeneratorReference")) {
            note(QStringLiteral("generated pictures (bars, titles, solids), left as gaps"),
                 QStringLiteral("%1 (%2)").arg(nameOf(item), ref.value(QStringLiteral("generator_kind")).toString()));
            return duration;
        }
        if (depth > 0 && !item.value(QStringLiteral("effects")).toArray().isEmpty())
            note(QStringLiteral("effects inside nested sequences, left out"), nameOf(item));
        layer.spans.push_back(Span{position, duration, range->start.seconds(), item, here});
        return duration;
    }

    // A track or stack used as an item: its contents over the item's source range, at the item's place.
    double readNested(const QJsonObject& item, const std::optional<Range>& range, TrackKind kind, double position,
                      const QString& here, int depth, Layer& layer) {
        const Layer inner = compositionLayer(item, kind, here, depth + 1);
        const double from = range ? range->start.seconds() : 0;
        const double length = range ? range->duration.seconds() : inner.duration;
        for (Span s : cutLayer(inner, from, length).spans) {
            s.start += position;
            layer.spans.push_back(s);
        }
        for (const QJsonValue& e : item.value(QStringLiteral("effects")).toArray())
            note(QStringLiteral("effects on nested sequences (speed, freeze), not applied"),
                 QStringLiteral("%1 on %2").arg(schemaOf(e.toObject()).section(QLatin1Char('.'), 0, 0), nameOf(item)));
        return length;
    }

    void readTransition(const QJsonObject& t, double position, const QString& here, int depth) {
        const Time in = readTime(t.value(QStringLiteral("in_offset")), here + QStringLiteral(".in_offset"));
        const Time out = readTime(t.value(QStringLiteral("out_offset")), here + QStringLiteral(".out_offset"));
        if (depth > 0) {
            note(QStringLiteral("transitions inside nested sequences, played as cuts"), nameOf(t));
            return;
        }
        cuts_.push_back(Cut{position, in.seconds(), out.seconds(), t.value(QStringLiteral("transition_type")).toString(), nameOf(t)});
    }

    // ---- a timeline track as a Tandem track

    Track topTrack(const QJsonObject& t, TrackKind kind, const QString& where) {
        Track track;
        track.id = next();
        track.kind = kind;
        track.name = t.value(QStringLiteral("name")).toString();
        if (track.name.isEmpty()) track.name = (kind == TrackKind::Video ? QStringLiteral("V") : QStringLiteral("A"));
        track.muted = !t.value(QStringLiteral("enabled")).toBool(true);
        QJsonObject metadata = t.value(QStringLiteral("metadata")).toObject();
        const QJsonObject tandem = metadata.take(QStringLiteral("tandem")).toObject();
        track.gainDb = std::clamp(tandem.value(QStringLiteral("gain_db")).toDouble(0), -96.0, 24.0);
        track.pan = std::clamp(tandem.value(QStringLiteral("pan")).toDouble(0), -1.0, 1.0);
        track.solo = tandem.value(QStringLiteral("solo")).toBool(false);
        track.locked = tandem.value(QStringLiteral("locked")).toBool(false);
        if (!metadata.isEmpty()) keep(track.foreign, QStringLiteral("metadata"), metadata);
        if (!t.value(QStringLiteral("effects")).toArray().isEmpty()) {
            keep(track.foreign, QStringLiteral("effects"), t.value(QStringLiteral("effects")));
            note(QStringLiteral("effects kept for export, not played"), QStringLiteral("on track %1").arg(nameOf(t)));
        }
        if (schemaIs(t, "Track") && !t.value(QStringLiteral("source_range")).isNull() && t.contains(QStringLiteral("source_range")))
            note(QStringLiteral("trims of whole tracks, ignored"), nameOf(t));

        cuts_.clear();
        const Layer layer = compositionLayer(t, kind, where, 0);
        for (const Span& s : layer.spans) {
            const qint64 position = seq_.time.framesForSeconds(s.start);
            const qint64 length = seq_.time.framesForSeconds(s.end()) - position;
            if (length <= 0) continue;
            track.clips.append(clipOf(s, kind, position, length));
            fitAssetDuration(out_.state, seq_, track.clips.back());
        }
        for (const Cut& cut : cuts_) applyTransition(track, cut);
        return track;
    }

    Clip clipOf(const Span& s, TrackKind kind, qint64 position, qint64 length) {
        const QJsonObject& item = s.clip;
        const QJsonObject ref = activeReference(item);
        const auto available = readRange(ref.value(QStringLiteral("available_range")), s.where + QStringLiteral(".available_range"));
        Clip c;
        c.id = next();
        c.position = position;
        c.length = length;
        // Source times count from the media's own start (often a timecode like 01:00:00:00).
        const double mediaStart = available ? available->start.seconds() : 0.0;
        c.sourceIn = std::max<qint64>(0, seq_.time.framesForSeconds(s.sourceStart - mediaStart));
        c.assetId = assetFor(ref, item.value(QStringLiteral("name")).toString(), kind, available);
        QJsonObject metadata = item.value(QStringLiteral("metadata")).toObject();
        const QJsonObject tandem = metadata.take(QStringLiteral("tandem")).toObject();
        c.gainDb = std::clamp(tandem.value(QStringLiteral("gain_db")).toDouble(0), -96.0, 24.0);
        c.opacity = std::clamp(tandem.value(QStringLiteral("opacity")).toDouble(1), 0.0, 1.0);
        c.fadeIn = std::max<qint64>(0, qint64(tandem.value(QStringLiteral("fade_in")).toDouble(0)));
        c.fadeOut = std::max<qint64>(0, qint64(tandem.value(QStringLiteral("fade_out")).toDouble(0)));
        if (kind == TrackKind::Audio)
            c.audioDelayMs = std::clamp(tandem.value(QStringLiteral("audio_delay_ms")).toDouble(0), -kMaxAudioDelayMs, kMaxAudioDelayMs);
        if (!metadata.isEmpty()) keep(c.foreign, QStringLiteral("metadata"), metadata);
        const QJsonArray effects = item.value(QStringLiteral("effects")).toArray();
        if (!effects.isEmpty()) {
            keep(c.foreign, QStringLiteral("effects"), effects);
            for (const QJsonValue& e : effects) {
                const QJsonObject effect = e.toObject();
                QString what = effect.value(QStringLiteral("effect_name")).toString();
                if (what.isEmpty()) what = schemaOf(effect).section(QLatin1Char('.'), 0, 0);
                note(QStringLiteral("effects kept for export, not played"), QStringLiteral("%1 on %2").arg(what, nameOf(item)));
            }
        }
        return c;
    }

    // A transition at a cut: a dissolve between two clips that meet there on a picture track; where one
    // side is empty, or on a sound track (whose clips cannot overlap), fades to and from nothing.
    void applyTransition(Track& track, const Cut& cut) {
        const qint64 at = seq_.time.framesForSeconds(cut.at);
        const qint64 frames = std::max<qint64>(1, seq_.time.framesForSeconds(cut.in + cut.out));
        Clip* before = nullptr;
        Clip* after = nullptr;
        for (Clip& c : track.clips) {
            if (c.end() == at) before = &c;
            if (c.position == at) after = &c;
        }
        if (cut.type != QLatin1String("SMPTE_Dissolve") && !cut.type.isEmpty())
            note(QStringLiteral("transitions of other kinds, played as dissolves"), QStringLiteral("%1 (%2)").arg(cut.name, cut.type));
        if (track.kind == TrackKind::Video && before && after) {
            after->dissolveIn = frames;
            if (std::abs(cut.in - cut.out) > 0.5 / seq_.time.fps.toDouble())
                note(QStringLiteral("dissolves off the cut's centre, centred"),
                     QStringLiteral("%1 at %2 s").arg(cut.name).arg(cut.at, 0, 'f', 2));
            return;
        }
        if (before) before->fadeOut = std::max(before->fadeOut, frames);
        if (after) after->fadeIn = std::max(after->fadeIn, frames);
        const QString what = track.kind == TrackKind::Audio && before && after
                                 ? QStringLiteral("sound cross-fades, played as a fade out and a fade in")
                                 : QStringLiteral("transitions to or from nothing, played as fades");
        note(what, QStringLiteral("%1 at %2 s").arg(cut.name).arg(cut.at, 0, 'f', 2));
    }

    Id assetFor(const QJsonObject& ref, const QString& clipName, TrackKind kind, const std::optional<Range>& available) {
        const bool images = schemaIs(ref, "ImageSequenceReference");
        const std::optional<ImageSequence> sequence = images ? imageSequence(ref, available) : std::nullopt;
        const QString url = images ? (sequence ? sequence->pattern : QString()) : ref.value(QStringLiteral("target_url")).toString();
        const QString key = url.isEmpty() ? QStringLiteral("missing:") + clipName + ref.value(QStringLiteral("name")).toString() : url;
        Id id = 0;
        if (auto it = assetByUrl_.find(key); it != assetByUrl_.end()) {
            id = it->second;
        } else {
            Asset a;
            a.id = id = next();
            a.label = clipName.isEmpty() ? QFileInfo(QUrl(url).path()).fileName() : clipName;
            if (a.label.isEmpty()) a.label = ref.value(QStringLiteral("name")).toString();
            if (a.label.isEmpty()) a.label = QStringLiteral("Clip");
            a.originalName = url.isEmpty() ? ref.value(QStringLiteral("name")).toString() : url;
            if (available) a.duration = available->duration.seconds();
            if (images) adoptImages(sequence, a);
            else adoptFile(ref, url, a);
            if (a.path.isEmpty())
                note(QStringLiteral("media not found or not a file, kept as offline clips"), QStringLiteral("'%1' (%2)").arg(a.label, !url.isEmpty() ? url : ref.isEmpty() ? QStringLiteral("no media reference") : schemaOf(ref)));
            out_.state.assets.append(a);
            assetByUrl_[key] = id;
        }
        Asset* a = out_.state.asset(id);
        // A file that appears on a video track has a picture, on an audio track sound, whatever probing said.
        (kind == TrackKind::Video ? a->hasVideo : a->hasAudio) = true;
        return id;
    }

    void adoptFile(const QJsonObject& ref, const QString& url, Asset& a) {
        const QString file = localPath(url, dir_);
        if (!schemaIs(ref, "ExternalReference") || file.isEmpty() || !QFileInfo(file).isFile() || !hooks_.adoptMedia) return;
        QString why;
        a.path = hooks_.adoptMedia(file, &why);
        if (a.path.isEmpty()) note(QStringLiteral("media that could not be brought into the project"), QStringLiteral("%1: %2").arg(url, why));
        else if (hooks_.probe && !hooks_.probe(file, a))
            note(QStringLiteral("media that could not be read, timed as the timeline says"), url);
    }

    std::optional<ImageSequence> imageSequence(const QJsonObject& ref, const std::optional<Range>& available) {
        ImageSequence s;
        const QString base = localPath(ref.value(QStringLiteral("target_url_base")).toString(), dir_);
        if (base.isEmpty()) return std::nullopt;
        const int padding = std::clamp(ref.value(QStringLiteral("frame_zero_padding")).toInt(0), 0, 12);
        s.pattern = QDir(base).filePath(ref.value(QStringLiteral("name_prefix")).toString() +
                                        (padding > 0 ? QLatin1Char('%') + QStringLiteral("0%1d").arg(padding) : QStringLiteral("%d")) +
                                        ref.value(QStringLiteral("name_suffix")).toString());
        s.startFrame = qint64(ref.value(QStringLiteral("start_frame")).toDouble(1));
        s.frameStep = std::max<qint64>(1, qint64(ref.value(QStringLiteral("frame_step")).toDouble(1)));
        s.rate = ref.value(QStringLiteral("rate")).toDouble(0);
        if (!(s.rate > 0) && available) s.rate = available->duration.rate;
        if (!(s.rate > 0) || !available) return std::nullopt;
        s.count = std::max<qint64>(0, qint64(std::llround(available->duration.seconds() * s.rate)));
        return s;
    }

    void adoptImages(const std::optional<ImageSequence>& images, Asset& a) {
        if (!images || !QFileInfo(images->firstFile()).isFile() || !hooks_.adoptImageSequence) return;
        QString why;
        if (!hooks_.adoptImageSequence(*images, a, &why)) {
            a.path.clear();
            note(QStringLiteral("image sequences that could not be made into a movie"), QStringLiteral("%1: %2").arg(images->pattern, why));
        }
    }

    // A marker of the stack (`at` 0) or of an item placed at `at` seconds whose source starts at `sourceStart`.
    void readMarker(const QJsonObject& m, double at, double sourceStart) {
        if (!schemaIs(m, "Marker")) return;
        // Marker.1 called its range "range".
        const QJsonValue rangeValue = m.contains(QStringLiteral("marked_range")) ? m.value(QStringLiteral("marked_range")) : m.value(QStringLiteral("range"));
        const auto range = readRange(rangeValue, QStringLiteral("marker"));
        if (!range) return;
        const double seconds = at + range->start.seconds() - sourceStart;
        Marker marker{next(), std::max<qint64>(0, seq_.time.framesForSeconds(seconds)),
                      m.value(QStringLiteral("name")).toString(), markerHex(m.value(QStringLiteral("color")))};
        auto pos = std::upper_bound(seq_.markers.begin(), seq_.markers.end(), marker.frame,
                                    [](qint64 f, const Marker& x) { return f < x.frame; });
        seq_.markers.insert(pos, marker);
    }
};

} // namespace

QString ImageSequence::firstFile() const {
    QString name = pattern;
    static const QRegularExpression number(QStringLiteral("%(0(\\d+))?d"));
    const auto m = number.match(name);
    if (!m.hasMatch()) return name;
    const int width = m.captured(2).isEmpty() ? 0 : m.captured(2).toInt();
    return name.replace(m.capturedStart(), m.capturedLength(), QStringLiteral("%1").arg(startFrame, width, 10, QLatin1Char('0')));
}

QString OtioImport::summary() const { return NotesByKind::summary(QStringLiteral("the timeline"), warnings); }

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
            } else if (c.dissolveIn > 0 && at > 0 && t.kind == TrackKind::Video) {
                items.append(exportDissolve(c.dissolveIn, rate));
            }
            items.append(exportClip(s, c, *seq, bundleDir, rate));
            at = c.end();
        }
        const QJsonObject tandem{{"gain_db", t.gainDb}, {"pan", t.pan}, {"solo", t.solo}, {"locked", t.locked}};
        QJsonObject track = itemCommon(QStringLiteral("Track.1"), t.name, t.foreign, tandem);
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
    const QJsonObject kept = keptOtio(seq->foreign);
    QJsonObject stack = itemCommon(QStringLiteral("Stack.1"), QStringLiteral("tracks"));
    stack[QStringLiteral("children")] = tracks;
    stack[QStringLiteral("markers")] = markers;
    stack[QStringLiteral("effects")] = kept.value(QStringLiteral("stack_effects")).toArray();
    stack[QStringLiteral("source_range")] = QJsonValue();
    QJsonObject metadata = kept.value(QStringLiteral("metadata")).toObject();
    QJsonObject tandem{{"project", s.name}, {"width", seq->width}, {"height", seq->height}, {"sample_rate", seq->time.sampleRate}};
    // Items of kinds Tandem has no place for come back beside the timeline, with the time they stood at.
    if (kept.contains(QStringLiteral("unknown_items"))) tandem[QStringLiteral("unknown_items")] = kept.value(QStringLiteral("unknown_items"));
    metadata[QStringLiteral("tandem")] = tandem;
    const QJsonObject timeline{{"OTIO_SCHEMA", "Timeline.1"},
                               {"name", seq->name},
                               {"metadata", metadata},
                               {"global_start_time", rationalTime(0, rate)},
                               {"tracks", stack}};
    return restoreNumbers(QJsonDocument(timeline).toJson(QJsonDocument::Indented));
}

std::optional<OtioImport> importOtio(const QByteArray& json, const QString& otioDir, const OtioImportHooks& hooks,
                                     QString* error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(protectNumbers(json), &parseError);
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
