#include "timeline/mlt.h"

#include "timeline/atomic_file.h"
#include "timeline/bundle.h"
#include "timeline/hand_off.h"
#include "timeline/plan.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tandem::timeline {

namespace {

// ---- export

QString num(double v) { return QString::number(v, 'g', 12); }
QString num(qint64 v) { return QString::number(v); }

void property(QXmlStreamWriter& w, const QString& name, const QString& value) {
    w.writeStartElement(QStringLiteral("property"));
    w.writeAttribute(QStringLiteral("name"), name);
    w.writeCharacters(value);
    w.writeEndElement();
}

// A filter over frames [in, out] of its producer (all of them when `in` < 0).
struct Filter {
    QString service;
    qint64 in = -1, out = -1;
    std::vector<std::pair<QString, QString>> properties;
};

void writeFilter(QXmlStreamWriter& w, const Filter& f, int& counter) {
    w.writeStartElement(QStringLiteral("filter"));
    w.writeAttribute(QStringLiteral("id"), QStringLiteral("filter%1").arg(counter++));
    if (f.in >= 0) {
        w.writeAttribute(QStringLiteral("in"), num(f.in));
        w.writeAttribute(QStringLiteral("out"), num(f.out));
    }
    property(w, QStringLiteral("mlt_service"), f.service);
    for (const auto& [k, v] : f.properties) property(w, k, v);
    w.writeEndElement();
}

// Alpha keyframes of a picture fade of `frames` frames from `first` (producer frames): weight (i + ½)/L on
// frame i, the compositor's curve; linear between two keyframes at its ends.
Filter pictureFade(qint64 first, qint64 frames, bool in) {
    const double low = 0.5 / double(frames), high = (double(frames) - 0.5) / double(frames);
    const double a = in ? low : high, b = in ? high : low;
    const QString alpha = frames == 1 ? QStringLiteral("0=%1").arg(num(0.5))
                                      : QStringLiteral("0=%1;%2=%3").arg(num(a)).arg(frames - 1).arg(num(b));
    return {QStringLiteral("brightness"), first, first + frames - 1,
            {{QStringLiteral("level"), QStringLiteral("1")}, {QStringLiteral("alpha"), alpha},
             {QStringLiteral("shotcut:filter"), in ? QStringLiteral("fadeInBrightness") : QStringLiteral("fadeOutBrightness")}}};
}

// The incoming clip of a dissolve of L frames from `first`: alpha i/L on its i-th frame, composited over
// the outgoing one. (MLT's luma transition mixes the same weights, but in 8-bit 4:2:2 with a chroma shift
// that costs 10 dB against the compositor; compositing by alpha runs through the path every layer takes.)
Filter dissolveRamp(qint64 first, qint64 frames) {
    const QString alpha = frames == 1 ? QStringLiteral("0=0.5")
                                      : QStringLiteral("0=0;%1=%2").arg(frames - 1).arg(num(double(frames - 1) / double(frames)));
    return {QStringLiteral("brightness"), first, first + frames - 1,
            {{QStringLiteral("level"), QStringLiteral("1")}, {QStringLiteral("alpha"), alpha}, {QStringLiteral("tandem:dissolve"), QStringLiteral("1")}}};
}

// A sound fade as a linear gain ramp over its frames.
Filter soundFade(qint64 first, qint64 frames, bool in) {
    return {QStringLiteral("volume"), first, first + frames - 1,
            {{QStringLiteral("gain"), in ? QStringLiteral("0") : QStringLiteral("1")},
             {QStringLiteral("end"), in ? QStringLiteral("1") : QStringLiteral("0")},
             {QStringLiteral("shotcut:filter"), in ? QStringLiteral("fadeInVolume") : QStringLiteral("fadeOutVolume")}}};
}

// What one clip's producer is: its media, the part of it the clip uses, its filters.
struct Producer {
    QString id, resource, label;
    bool picture = true;
    qint64 length = 0; // producer frames available
    std::vector<Filter> filters;
};

// One playlist item: a clip's entry, a blank, or a dissolve tractor.
struct Item {
    enum Kind { Entry, Blank, Dissolve } kind = Blank;
    QString producer; // the entry's producer or the dissolve tractor's id
    qint64 in = 0, length = 0;
};

struct DissolveTractor {
    QString id, outgoing, incoming;
    qint64 outgoingIn = 0, incomingIn = 0, length = 0;
};

class MltWriter {
public:
    MltWriter(const ProjectState& s, const Sequence& seq, const std::function<QString(const Clip&)>& resourceOf)
        : s_(s), seq_(seq), resourceOf_(resourceOf) {}

    MltExport run() {
        const QList<PictureTrackPlan> pictures = picturePlan(s_, seq_);
        int pictureIndex = 0;
        bool anySolo = false;
        for (const Track& t : seq_.tracks) anySolo = anySolo || (t.kind == TrackKind::Audio && t.solo);
        for (const Track& t : seq_.tracks) {
            TrackOut out;
            out.track = &t;
            if (t.kind == TrackKind::Video) pictureTrack(t, pictures[pictureIndex++], out);
            else soundTrack(t, out);
            out.hide = t.kind == TrackKind::Video ? QStringLiteral("audio") : QStringLiteral("video");
            if (t.muted || (t.kind == TrackKind::Audio && anySolo && !t.solo)) out.hide = QStringLiteral("both");
            tracks_.push_back(out);
        }
        return {write(), warnings()};
    }

private:
    struct TrackOut {
        const Track* track = nullptr;
        std::vector<Item> items;
        std::vector<Filter> filters;
        QString hide;
    };

    const ProjectState& s_;
    const Sequence& seq_;
    const std::function<QString(const Clip&)>& resourceOf_;
    std::vector<Producer> producers_;
    std::vector<DissolveTractor> dissolves_;
    std::vector<TrackOut> tracks_;
    NotesByKind notes_;

    QStringList warnings() const { return notes_.lines(); }

    QString labelOf(const Clip& c) const {
        const Asset* a = s_.asset(c.assetId);
        return a ? a->label : QString();
    }

    // The clip's producer (its index in producers_), or -1 when its media is offline.
    int producerFor(const Clip& c, bool picture) {
        const QString resource = resourceOf_(c);
        if (resource.isEmpty()) {
            notes_.add(QStringLiteral("offline clips, left out"), QStringLiteral("'%1' at frame %2").arg(labelOf(c)).arg(c.position));
            return -1;
        }
        Producer p;
        p.id = QStringLiteral("clip%1").arg(producers_.size());
        p.resource = resource;
        p.label = labelOf(c);
        p.picture = picture;
        p.length = s_.sourceLengthFrames(c, seq_.time);
        p.filters = keptFilters(c.foreign);
        producers_.push_back(p);
        return int(producers_.size()) - 1;
    }

    // Filters an MLT import kept because Tandem does not play them, as they were.
    static std::vector<Filter> keptFilters(const QJsonObject& foreign) {
        std::vector<Filter> out;
        for (const QJsonValue& v : foreign.value(QStringLiteral("mlt")).toObject().value(QStringLiteral("filters")).toArray()) {
            const QJsonObject kept = v.toObject();
            const QJsonObject props = kept.value(QStringLiteral("properties")).toObject();
            Filter f{props.value(QStringLiteral("mlt_service")).toString(), -1, -1, {}};
            if (kept.contains(QStringLiteral("in")) && kept.contains(QStringLiteral("out"))) {
                f.in = qint64(kept.value(QStringLiteral("in")).toString().toLongLong());
                f.out = qint64(kept.value(QStringLiteral("out")).toString().toLongLong());
            }
            for (auto it = props.begin(); it != props.end(); ++it)
                if (it.key() != QLatin1String("mlt_service")) f.properties.push_back({it.key(), it.value().toString()});
            if (!f.service.isEmpty()) out.push_back(f);
        }
        return out;
    }

    void addItem(std::vector<Item>& items, qint64& at, qint64 start, Item item) {
        if (item.length <= 0) return;
        if (start > at) items.push_back({Item::Blank, {}, 0, start - at});
        items.push_back(item);
        at = start + item.length;
    }

    void pictureTrack(const Track& t, const PictureTrackPlan& plan, TrackOut& out) {
        out.filters = keptFilters(t.foreign);
        std::vector<int> ids; // each clip's producer, -1 when offline
        for (const Clip& c : t.clips) ids.push_back(producerFor(c, true));
        qint64 at = 0;
        for (int i = 0; i < t.clips.size(); ++i) {
            const Clip& c = t.clips[i];
            const PicturePlacement& p = plan.clips[i];
            if (ids[i] < 0) continue;
            Producer& producer = producers_[size_t(ids[i])];
            if (c.opacity < 1)
                producer.filters.push_back({QStringLiteral("brightness"), -1, -1,
                                            {{QStringLiteral("level"), QStringLiteral("1")}, {QStringLiteral("alpha"), num(c.opacity)},
                                             {QStringLiteral("opacity"), num(c.opacity)}, {QStringLiteral("shotcut:filter"), QStringLiteral("brightnessOpacity")}}});
            if (p.fadeIn > 0) producer.filters.push_back(pictureFade(c.sourceIn, p.fadeIn, true));
            if (p.fadeOut > 0) producer.filters.push_back(pictureFade(c.sourceOut() - p.fadeOut, p.fadeOut, false));
            // A dissolve into this clip takes L/2 frames before its cut and the rest after; a dissolve out of
            // it, the next clip's, takes as much of its end.
            const qint64 lead = p.dissolveIn / 2, tail = p.dissolveIn - lead;
            const bool dissolving = p.dissolveIn > 0 && i > 0 && ids[i - 1] >= 0;
            const qint64 nextLead = i + 1 < t.clips.size() && ids[i + 1] >= 0 ? plan.clips[i + 1].dissolveIn / 2 : 0;
            if (dissolving) {
                const Clip& before = t.clips[i - 1];
                DissolveTractor d{QStringLiteral("dissolve%1").arg(dissolves_.size()), producers_[size_t(ids[i - 1])].id, producer.id,
                                  before.sourceIn + (c.position - lead - before.position), c.sourceIn - lead, p.dissolveIn};
                if (d.incomingIn < 0) {
                    notes_.add(QStringLiteral("dissolves without enough frames before the incoming clip, shortened"),
                        QStringLiteral("'%1' at frame %2").arg(labelOf(c)).arg(c.position));
                    d.incomingIn = 0;
                }
                producer.filters.push_back(dissolveRamp(d.incomingIn, d.length));
                dissolves_.push_back(d);
                addItem(out.items, at, c.position - lead, {Item::Dissolve, d.id, 0, p.dissolveIn});
            }
            const qint64 start = c.position + (dissolving ? tail : 0), end = c.end() - nextLead;
            addItem(out.items, at, start, {Item::Entry, producer.id, c.sourceIn + (start - c.position), end - start});
        }
    }

    void soundTrack(const Track& t, TrackOut& out) {
        qint64 at = 0;
        const double fps = seq_.time.fps.toDouble();
        for (const Clip& c : t.clips) {
            const int index = producerFor(c, false);
            if (index < 0) continue;
            Producer& producer = producers_[size_t(index)];
            qint64 position = c.position, in = c.sourceIn, length = c.length;
            // MLT moves sound by whole frames only.
            const qint64 delay = std::llround(c.audioDelayMs * fps / 1000.0);
            if (std::abs(c.audioDelayMs - double(delay) * 1000.0 / fps) > 0.5)
                notes_.add(QStringLiteral("sound delays rounded to whole frames"),
                    QStringLiteral("'%1' %2 ms → %3 ms").arg(labelOf(c)).arg(c.audioDelayMs).arg(double(delay) * 1000.0 / fps, 0, 'f', 1));
            in -= delay;
            if (in < 0) { // what would come from before the media's start is silence: start later
                position -= in;
                length += in;
                in = 0;
            }
            if (c.gainDb != 0)
                producer.filters.push_back({QStringLiteral("volume"), -1, -1,
                                            {{QStringLiteral("level"), num(c.gainDb)}, {QStringLiteral("shotcut:filter"), QStringLiteral("audioGain")}}});
            const qint64 fadeIn = std::min(c.fadeIn, c.length), fadeOut = std::min(c.fadeOut, c.length - fadeIn);
            if (fadeIn > 0) producer.filters.push_back(soundFade(in, std::min(fadeIn, length), true));
            if (fadeOut > 0) producer.filters.push_back(soundFade(in + length - fadeOut, fadeOut, false));
            addItem(out.items, at, position, {Item::Entry, producer.id, in, length});
        }
        out.filters = keptFilters(t.foreign);
        if (t.gainDb != 0)
            out.filters.push_back({QStringLiteral("volume"), -1, -1, {{QStringLiteral("level"), num(t.gainDb)}}});
        if (t.pan != 0) {
            out.filters.push_back({QStringLiteral("panner"), -1, -1, {{QStringLiteral("channel"), QStringLiteral("-1")}, {QStringLiteral("split"), num((t.pan + 1) / 2)}}});
            notes_.add(QStringLiteral("track pans as MLT's balance, which is not constant-power"), t.name);
        }
    }

    QByteArray write() {
        QByteArray xml;
        QXmlStreamWriter w(&xml);
        w.setAutoFormatting(true);
        w.setAutoFormattingIndent(2);
        w.writeStartDocument();
        w.writeStartElement(QStringLiteral("mlt"));
        w.writeAttribute(QStringLiteral("LC_NUMERIC"), QStringLiteral("C"));
        w.writeAttribute(QStringLiteral("version"), QStringLiteral("7.12.0"));
        w.writeAttribute(QStringLiteral("title"), seq_.name);
        w.writeAttribute(QStringLiteral("producer"), QStringLiteral("main_bin"));
        writeProfile(w);
        int filterCounter = 0;
        for (const Producer& p : producers_) writeProducer(w, p, filterCounter);
        // Shotcut's bin: an empty playlist it keeps with the project.
        w.writeStartElement(QStringLiteral("playlist"));
        w.writeAttribute(QStringLiteral("id"), QStringLiteral("main_bin"));
        property(w, QStringLiteral("xml_retain"), QStringLiteral("1"));
        w.writeEndElement();
        const qint64 duration = std::max<qint64>(1, seq_.duration());
        writeBackground(w, duration);
        for (const DissolveTractor& d : dissolves_) writeDissolve(w, d);
        for (size_t i = 0; i < tracks_.size(); ++i) writePlaylist(w, tracks_[i], int(i), filterCounter);
        writeMainTractor(w, duration);
        w.writeEndElement();
        w.writeEndDocument();
        return xml;
    }

    void writeProfile(QXmlStreamWriter& w) {
        w.writeStartElement(QStringLiteral("profile"));
        const auto& fps = seq_.time.fps;
        w.writeAttribute(QStringLiteral("description"), QStringLiteral("%1x%2 %3 fps").arg(seq_.width).arg(seq_.height).arg(fps.toDouble(), 0, 'f', 3));
        w.writeAttribute(QStringLiteral("width"), num(qint64(seq_.width)));
        w.writeAttribute(QStringLiteral("height"), num(qint64(seq_.height)));
        w.writeAttribute(QStringLiteral("progressive"), QStringLiteral("1"));
        w.writeAttribute(QStringLiteral("sample_aspect_num"), QStringLiteral("1"));
        w.writeAttribute(QStringLiteral("sample_aspect_den"), QStringLiteral("1"));
        w.writeAttribute(QStringLiteral("display_aspect_num"), num(qint64(seq_.width)));
        w.writeAttribute(QStringLiteral("display_aspect_den"), num(qint64(seq_.height)));
        w.writeAttribute(QStringLiteral("frame_rate_num"), num(qint64(fps.num)));
        w.writeAttribute(QStringLiteral("frame_rate_den"), num(qint64(fps.den)));
        // BT.601, the matrix Tandem's renders are made with (and say they are): MLT passes pictures it does not
        // composite straight through and tags them with the profile's, so the two must agree.
        w.writeAttribute(QStringLiteral("colorspace"), QStringLiteral("601"));
        w.writeEndElement();
    }

    void writeProducer(QXmlStreamWriter& w, const Producer& p, int& filterCounter) {
        w.writeStartElement(QStringLiteral("producer"));
        w.writeAttribute(QStringLiteral("id"), p.id);
        w.writeAttribute(QStringLiteral("in"), QStringLiteral("0"));
        w.writeAttribute(QStringLiteral("out"), num(std::max<qint64>(0, p.length - 1)));
        property(w, QStringLiteral("length"), num(p.length));
        property(w, QStringLiteral("eof"), QStringLiteral("pause"));
        property(w, QStringLiteral("resource"), p.resource);
        property(w, QStringLiteral("mlt_service"), QStringLiteral("avformat"));
        property(w, QStringLiteral("seekable"), QStringLiteral("1"));
        // A picture track's clip brings no sound (its sound is the linked clip on a sound track), and back.
        property(w, p.picture ? QStringLiteral("audio_index") : QStringLiteral("video_index"), QStringLiteral("-1"));
        property(w, QStringLiteral("shotcut:caption"), p.label);
        for (const Filter& f : p.filters) writeFilter(w, f, filterCounter);
        w.writeEndElement();
    }

    void writeBackground(QXmlStreamWriter& w, qint64 duration) {
        // Opaque black, as the compositor starts every frame: a half-transparent bottom clip darkens.
        w.writeStartElement(QStringLiteral("producer"));
        w.writeAttribute(QStringLiteral("id"), QStringLiteral("black"));
        w.writeAttribute(QStringLiteral("in"), QStringLiteral("0"));
        w.writeAttribute(QStringLiteral("out"), num(duration - 1));
        property(w, QStringLiteral("length"), num(duration));
        property(w, QStringLiteral("eof"), QStringLiteral("pause"));
        property(w, QStringLiteral("resource"), QStringLiteral("#ff000000"));
        property(w, QStringLiteral("aspect_ratio"), QStringLiteral("1"));
        property(w, QStringLiteral("mlt_service"), QStringLiteral("color"));
        property(w, QStringLiteral("mlt_image_format"), QStringLiteral("rgba"));
        property(w, QStringLiteral("set.test_audio"), QStringLiteral("0"));
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("playlist"));
        w.writeAttribute(QStringLiteral("id"), QStringLiteral("background"));
        w.writeEmptyElement(QStringLiteral("entry"));
        w.writeAttribute(QStringLiteral("producer"), QStringLiteral("black"));
        w.writeAttribute(QStringLiteral("in"), QStringLiteral("0"));
        w.writeAttribute(QStringLiteral("out"), num(duration - 1));
        w.writeEndElement();
    }

    void writeDissolve(QXmlStreamWriter& w, const DissolveTractor& d) {
        w.writeStartElement(QStringLiteral("tractor"));
        w.writeAttribute(QStringLiteral("id"), d.id);
        w.writeAttribute(QStringLiteral("in"), QStringLiteral("0"));
        w.writeAttribute(QStringLiteral("out"), num(d.length - 1));
        property(w, QStringLiteral("tandem:dissolve"), QStringLiteral("1"));
        for (const auto& [producer, in] : {std::pair{d.outgoing, d.outgoingIn}, std::pair{d.incoming, d.incomingIn}}) {
            w.writeEmptyElement(QStringLiteral("track"));
            w.writeAttribute(QStringLiteral("producer"), producer);
            w.writeAttribute(QStringLiteral("in"), num(in));
            w.writeAttribute(QStringLiteral("out"), num(in + d.length - 1));
        }
        w.writeStartElement(QStringLiteral("transition"));
        w.writeAttribute(QStringLiteral("id"), d.id + QStringLiteral("-blend"));
        w.writeAttribute(QStringLiteral("out"), num(d.length - 1));
        property(w, QStringLiteral("a_track"), QStringLiteral("0"));
        property(w, QStringLiteral("b_track"), QStringLiteral("1"));
        property(w, QStringLiteral("mlt_service"), QStringLiteral("affine"));
        w.writeEndElement();
        w.writeEndElement();
    }

    void writePlaylist(QXmlStreamWriter& w, const TrackOut& t, int index, int& filterCounter) {
        w.writeStartElement(QStringLiteral("playlist"));
        w.writeAttribute(QStringLiteral("id"), QStringLiteral("playlist%1").arg(index));
        property(w, t.track->kind == TrackKind::Video ? QStringLiteral("shotcut:video") : QStringLiteral("shotcut:audio"), QStringLiteral("1"));
        property(w, QStringLiteral("shotcut:name"), t.track->name);
        for (const Item& item : t.items) {
            if (item.kind == Item::Blank) {
                w.writeEmptyElement(QStringLiteral("blank"));
                w.writeAttribute(QStringLiteral("length"), num(item.length));
                continue;
            }
            w.writeEmptyElement(QStringLiteral("entry"));
            w.writeAttribute(QStringLiteral("producer"), item.producer);
            w.writeAttribute(QStringLiteral("in"), num(item.in));
            w.writeAttribute(QStringLiteral("out"), num(item.in + item.length - 1));
        }
        for (const Filter& f : t.filters) writeFilter(w, f, filterCounter);
        w.writeEndElement();
    }

    void writeMainTractor(QXmlStreamWriter& w, qint64 duration) {
        w.writeStartElement(QStringLiteral("tractor"));
        w.writeAttribute(QStringLiteral("id"), QStringLiteral("tractor0"));
        w.writeAttribute(QStringLiteral("title"), seq_.name);
        w.writeAttribute(QStringLiteral("in"), QStringLiteral("0"));
        w.writeAttribute(QStringLiteral("out"), num(duration - 1));
        property(w, QStringLiteral("shotcut"), QStringLiteral("1"));
        property(w, QStringLiteral("shotcut:projectAudioChannels"), QStringLiteral("2"));
        writeMarkers(w);
        w.writeEmptyElement(QStringLiteral("track"));
        w.writeAttribute(QStringLiteral("producer"), QStringLiteral("background"));
        for (size_t i = 0; i < tracks_.size(); ++i) {
            w.writeEmptyElement(QStringLiteral("track"));
            w.writeAttribute(QStringLiteral("producer"), QStringLiteral("playlist%1").arg(i));
            w.writeAttribute(QStringLiteral("hide"), tracks_[i].hide);
        }
        for (size_t i = 0; i < tracks_.size(); ++i) {
            const bool picture = tracks_[i].track->kind == TrackKind::Video;
            w.writeStartElement(QStringLiteral("transition"));
            w.writeAttribute(QStringLiteral("id"), QStringLiteral("transition%1").arg(i));
            property(w, QStringLiteral("a_track"), QStringLiteral("0"));
            property(w, QStringLiteral("b_track"), num(qint64(i + 1)));
            property(w, QStringLiteral("mlt_service"), picture ? QStringLiteral("affine") : QStringLiteral("mix"));
            property(w, QStringLiteral("always_active"), QStringLiteral("1"));
            if (!picture) property(w, QStringLiteral("sum"), QStringLiteral("1"));
            w.writeEndElement();
        }
        w.writeEndElement();
    }

    // Shotcut keeps markers as numbered property sets of the main tractor; melt ignores them.
    void writeMarkers(QXmlStreamWriter& w) {
        if (seq_.markers.isEmpty()) return;
        w.writeStartElement(QStringLiteral("properties"));
        w.writeAttribute(QStringLiteral("name"), QStringLiteral("shotcut:markers"));
        for (int i = 0; i < seq_.markers.size(); ++i) {
            const Marker& m = seq_.markers[i];
            w.writeStartElement(QStringLiteral("properties"));
            w.writeAttribute(QStringLiteral("name"), QString::number(i));
            property(w, QStringLiteral("text"), m.name);
            property(w, QStringLiteral("start"), num(m.frame));
            property(w, QStringLiteral("end"), num(m.frame));
            property(w, QStringLiteral("color"), m.color);
            w.writeEndElement();
        }
        w.writeEndElement();
    }
};


// ---- import

// An MLT service element as written: producer, chain, playlist, tractor, filter or transition.
struct Node {
    QString tag, id, in, out; // in/out as written: frames, or clock / SMPTE times
    std::map<QString, QString> props;
    std::vector<Node> filters, transitions;
    struct Item {
        bool blank = false;
        QString producer, in, out, length;
        std::vector<Node> filters;
    };
    std::vector<Item> items; // a playlist's
    struct TrackRef {
        QString producer, hide, in, out;
    };
    std::vector<TrackRef> tracks; // a tractor's
    bool hasLinks = false;        // a chain's links (time remapping, …)
    QString prop(const char* key) const {
        auto it = props.find(QLatin1String(key));
        return it == props.end() ? QString() : it->second;
    }
};

struct BadMlt : std::runtime_error {
    using std::runtime_error::runtime_error;
};

bool isServiceTag(QStringView tag) {
    return tag == u"producer" || tag == u"chain" || tag == u"playlist" || tag == u"tractor" || tag == u"multitrack";
}

// One clip-sized piece of a track before it becomes a Tandem clip.
struct Piece {
    QString producer;
    qint64 position = 0, in = 0, length = 0;
    qint64 dissolveIn = 0;          // picture: frames of dissolve from the piece before, centred on its start
    std::vector<Node> entryFilters;
    // A mix of `mixLength` frames leads into this piece, `mixLead` of them before its picture starts; with
    // `crossfade` the sounds of both pieces run through the whole mix.
    qint64 mixLength = 0, mixLead = 0;
    bool crossfade = false;
    qint64 fadeIn = 0, fadeOut = 0; // sound cross-fades
    qint64 end() const { return position + length; }
};

class MltReader {
public:
    MltReader(const QString& dir, const OtioImportHooks& hooks) : dir_(dir), hooks_(hooks) {}

    MltImport run(const QByteArray& xml) {
        QXmlStreamReader r(xml);
        while (!r.atEnd() && !(r.isStartElement() && r.name() == u"mlt")) r.readNext();
        if (!r.isStartElement()) bad(r.hasError() ? QStringLiteral("not XML (%1)").arg(r.errorString()) : QStringLiteral("not an MLT document (no <mlt> element)"));
        const QString root = r.attributes().value(QStringLiteral("root")).toString();
        if (!root.isEmpty() && QDir(root).exists()) dir_ = root;
        rootProducer_ = r.attributes().value(QStringLiteral("producer")).toString();
        seq_.time.fps = Rational{25, 1};
        bool haveProfile = false;
        while (r.readNextStartElement()) {
            if (r.name() == u"profile") {
                readProfile(r);
                haveProfile = true;
            } else if (isServiceTag(r.name())) {
                order_.push_back(readService(r).id);
            } else {
                r.skipCurrentElement();
            }
        }
        if (r.hasError()) bad(QStringLiteral("malformed XML at line %1: %2").arg(r.lineNumber()).arg(r.errorString()));
        if (!haveProfile) notes_.add(QStringLiteral("no profile in the document, assumed"), QStringLiteral("25 fps, 1920×1080"));
        seq_.id = next();
        buildSequence(mainService());
        if (seq_.tracks.isEmpty()) bad(QStringLiteral("the document's timeline has no tracks with clips or gaps"));
        linkMatchingPairs(seq_);
        for (const Track& t : seq_.tracks)
            for (const Clip& c : t.clips) fitAssetDuration(out_.state, seq_, c);
        out_.state.sequences.append(seq_);
        out_.state.name = seq_.name;
        if (QString why = out_.state.consistencyError(); !why.isEmpty())
            bad(QStringLiteral("the timeline cannot be represented: %1").arg(why));
        out_.warnings = notes_.lines();
        return out_;
    }

private:
    QString dir_, rootProducer_;
    const OtioImportHooks& hooks_;
    MltImport out_;
    Sequence seq_;
    Id nextId_ = 1;
    std::map<QString, Node> services_;
    std::vector<QString> order_;
    std::map<QString, Id> assetByPath_;
    std::set<Id> probed_; // assets whose file was read: what they hold is known
    NotesByKind notes_;
    int anonymous_ = 0;

    Id next() { return nextId_++; }
    [[noreturn]] static void bad(const QString& why) { throw BadMlt(why.toStdString()); }

    void readProfile(QXmlStreamReader& r) {
        const auto a = r.attributes();
        const qint64 num = a.value(QStringLiteral("frame_rate_num")).toLongLong(), den = a.value(QStringLiteral("frame_rate_den")).toLongLong();
        if (num > 0 && den > 0) seq_.time.fps = Rational{num, den};
        const int w = a.value(QStringLiteral("width")).toInt(), h = a.value(QStringLiteral("height")).toInt();
        if (w >= 16 && h >= 16 && w <= 16384 && h <= 16384) {
            seq_.width = w;
            seq_.height = h;
        }
        r.skipCurrentElement();
    }

    // Reads a service element (and any services nested in it), registers it by id and returns it.
    Node readService(QXmlStreamReader& r) {
        Node n;
        n.tag = r.name().toString();
        const auto a = r.attributes();
        n.id = a.value(QStringLiteral("id")).toString();
        if (n.id.isEmpty()) n.id = QStringLiteral("#anonymous%1").arg(anonymous_++);
        n.in = a.value(QStringLiteral("in")).toString();
        n.out = a.value(QStringLiteral("out")).toString();
        if (n.tag == QLatin1String("multitrack")) n.tag = QStringLiteral("tractor");
        while (r.readNextStartElement()) {
            const auto name = r.name();
            if (name == u"property") {
                const QString key = r.attributes().value(QStringLiteral("name")).toString();
                n.props[key] = r.readElementText(QXmlStreamReader::IncludeChildElements);
            } else if (name == u"properties") {
                readPropertySet(r, n);
            } else if (name == u"filter") {
                n.filters.push_back(readService(r));
            } else if (name == u"transition") {
                n.transitions.push_back(readService(r));
            } else if (name == u"link") {
                n.hasLinks = true;
                r.skipCurrentElement();
            } else if (name == u"entry" || name == u"blank") {
                n.items.push_back(readItem(r));
            } else if (name == u"track") {
                const auto ta = r.attributes();
                Node::TrackRef t{ta.value(QStringLiteral("producer")).toString(), ta.value(QStringLiteral("hide")).toString(),
                                 ta.value(QStringLiteral("in")).toString(), ta.value(QStringLiteral("out")).toString()};
                while (r.readNextStartElement()) {
                    if (isServiceTag(r.name())) t.producer = readService(r).id;
                    else r.skipCurrentElement();
                }
                n.tracks.push_back(t);
            } else if (name == u"multitrack") {
                // An older layout: the tracks inside a <multitrack> of the tractor.
                const Node inner = readService(r);
                n.tracks.insert(n.tracks.end(), inner.tracks.begin(), inner.tracks.end());
            } else if (isServiceTag(name)) {
                readService(r); // defined here, used by id elsewhere
            } else {
                r.skipCurrentElement();
            }
        }
        services_[n.id] = n;
        return n;
    }

    Node::Item readItem(QXmlStreamReader& r) {
        Node::Item item;
        item.blank = r.name() == u"blank";
        const auto a = r.attributes();
        item.producer = a.value(QStringLiteral("producer")).toString();
        item.in = a.value(QStringLiteral("in")).toString();
        item.out = a.value(QStringLiteral("out")).toString();
        item.length = a.value(QStringLiteral("length")).toString();
        while (r.readNextStartElement()) {
            if (r.name() == u"filter") item.filters.push_back(readService(r));
            else if (isServiceTag(r.name())) item.producer = readService(r).id;
            else r.skipCurrentElement();
        }
        return item;
    }

    // Shotcut keeps markers as numbered property sets under "shotcut:markers".
    void readPropertySet(QXmlStreamReader& r, Node& n) {
        const bool markers = r.attributes().value(QStringLiteral("name")) == u"shotcut:markers";
        while (r.readNextStartElement()) {
            if (!markers || r.name() != u"properties") {
                r.skipCurrentElement();
                continue;
            }
            std::map<QString, QString> m;
            while (r.readNextStartElement()) {
                if (r.name() == u"property") {
                    // The name first: reading the text moves the reader past the element's attributes.
                    const QString key = r.attributes().value(QStringLiteral("name")).toString();
                    m[key] = r.readElementText();
                }
                else r.skipCurrentElement();
            }
            n.props[QStringLiteral("#marker%1").arg(n.props.size())] = m[QStringLiteral("start")] + QLatin1Char('\n') + m[QStringLiteral("color")] + QLatin1Char('\n') + m[QStringLiteral("text")];
        }
    }

    // A time as MLT writes it: frames ("120"), a clock ("00:00:04.800") or SMPTE ("00:00:04:20", ";" when
    // drop-frame); -1 when empty.
    qint64 frames(const QString& t) const {
        if (t.isEmpty()) return -1;
        bool ok = false;
        const qint64 whole = t.toLongLong(&ok);
        if (ok) return whole;
        const QStringList parts = t.split(QRegularExpression(QStringLiteral("[:;]")));
        if (parts.size() == 3) { // h:m:s(.fraction)
            const double seconds = parts[0].toDouble() * 3600 + parts[1].toDouble() * 60 + parts[2].toDouble();
            return seq_.time.framesForSeconds(seconds);
        }
        if (parts.size() == 4) { // h:m:s:frames
            const double seconds = parts[0].toDouble() * 3600 + parts[1].toDouble() * 60 + parts[2].toDouble();
            return seq_.time.framesForSeconds(seconds) + parts[3].toLongLong();
        }
        bad(QStringLiteral("'%1' is not a time MLT writes").arg(t));
    }

    const Node* service(const QString& id) const {
        auto it = services_.find(id);
        return it == services_.end() ? nullptr : &it->second;
    }

    // The timeline: the document's named root when it is a tractor, else its last tractor, else its last
    // playlist — never a playlist kept only as a bin (Shotcut's main_bin, marked xml_retain).
    const Node& mainService() const {
        auto usable = [](const Node* n, const char* tag) {
            return n && n->tag == QLatin1String(tag) && n->prop("xml_retain") != QLatin1String("1");
        };
        if (const Node* n = service(rootProducer_); usable(n, "tractor")) return *n;
        for (const char* tag : {"tractor", "playlist"})
            for (auto it = order_.rbegin(); it != order_.rend(); ++it)
                if (const Node* n = service(*it); usable(n, tag)) return *n;
        bad(QStringLiteral("the document holds no tractor or playlist"));
    }

    void buildSequence(const Node& main) {
        seq_.name = main.prop("title");
        if (seq_.name.isEmpty()) seq_.name = QStringLiteral("Imported");
        for (const auto& [key, value] : main.props) {
            if (!key.startsWith(QLatin1String("#marker"))) continue;
            const QStringList m = value.split(QLatin1Char('\n'));
            seq_.markers.append(Marker{next(), std::max<qint64>(0, frames(m.value(0))), m.value(2), m.value(1).isEmpty() ? QStringLiteral("#e0c040") : m.value(1).left(7)});
        }
        std::sort(seq_.markers.begin(), seq_.markers.end(), [](const Marker& a, const Marker& b) { return a.frame < b.frame; });
        for (const Node& t : main.transitions) {
            const QString service = t.prop("mlt_service");
            if (!QStringList{QStringLiteral("mix"), QStringLiteral("qtblend"), QStringLiteral("frei0r.cairoblend"), QStringLiteral("composite"),
                             QStringLiteral("movit.overlay"), QStringLiteral("affine")}.contains(service))
                notes_.add(QStringLiteral("timeline transitions Tandem does not play, left out"), service);
        }
        QList<Track> video, audio;
        if (main.tag == QLatin1String("playlist")) {
            addTrack(main, QString(), video, audio);
        } else {
            for (size_t i = 0; i < main.tracks.size(); ++i) {
                const Node* n = service(main.tracks[i].producer);
                if (!n) bad(QStringLiteral("track %1 names a producer the document does not define (%2)").arg(i).arg(main.tracks[i].producer));
                addTrack(*n, main.tracks[i].hide, video, audio);
            }
        }
        seq_.tracks = video + audio;
    }

    // What a playlist item's producer is: media (the clip's file), colour, a dissolve, or something else.
    enum class Kind { Media, Colour, Dissolve, Other };
    Kind kindOf(const Node& n) const {
        if (n.tag == QLatin1String("tractor")) return n.tracks.size() == 2 ? Kind::Dissolve : Kind::Other;
        if (n.tag == QLatin1String("playlist")) return Kind::Other;
        const QString service = n.prop("mlt_service");
        if (service == QLatin1String("color") || service == QLatin1String("colour")) return Kind::Colour;
        if (service.isEmpty() || service.startsWith(QLatin1String("avformat")) || service == QLatin1String("qimage") ||
            service == QLatin1String("pixbuf"))
            return n.prop("resource").isEmpty() ? Kind::Other : Kind::Media;
        return Kind::Other;
    }

    void addTrack(const Node& node, const QString& hide, QList<Track>& video, QList<Track>& audio) {
        if (node.tag != QLatin1String("playlist")) {
            if (kindOf(node) == Kind::Colour) return; // a background under everything (Shotcut's "black")
            notes_.add(QStringLiteral("tracks that are not playlists (nested timelines), left out"), node.id);
            return;
        }
        std::vector<Piece> pieces;
        QStringList colours;
        qint64 at = 0;
        bool onlyColour = true;
        for (const Node::Item& item : node.items) {
            if (item.blank) {
                at += std::max<qint64>(0, frames(item.length));
                continue;
            }
            const Node* p = service(item.producer);
            if (!p) bad(QStringLiteral("playlist %1 names a producer the document does not define (%2)").arg(node.id, item.producer));
            // An entry's in and out count from its producer's own in point.
            const qint64 base = std::max<qint64>(0, frames(p->in));
            const qint64 in = base + (item.in.isEmpty() ? 0 : frames(item.in));
            const qint64 out = item.out.isEmpty() ? frames(p->out) : base + frames(item.out);
            const qint64 length = out - in + 1;
            if (length <= 0) continue;
            const Kind kind = kindOf(*p);
            onlyColour = onlyColour && kind == Kind::Colour;
            if (kind == Kind::Media) {
                pieces.push_back(Piece{p->id, at, in, length, 0, item.filters});
            } else if (kind == Kind::Dissolve) {
                addDissolve(*p, at, length, pieces);
            } else if (kind == Kind::Colour) {
                colours.append(QStringLiteral("%1 at frame %2").arg(p->prop("resource")).arg(at));
            } else {
                notes_.add(QStringLiteral("producers of other kinds (generators, nested timelines), left as gaps"),
                           QStringLiteral("%1 (%2) at frame %3").arg(p->id, p->prop("mlt_service")).arg(at));
            }
            at += length;
        }
        if (onlyColour && !node.items.empty() && pieces.empty()) return; // the background
        for (const QString& c : colours) notes_.add(QStringLiteral("colour clips, left as gaps"), c);
        mergePieces(pieces);
        const bool muted = hide == QLatin1String("both");
        const bool soundOnly = hide == QLatin1String("video") || node.prop("shotcut:audio") == QLatin1String("1");
        const bool pictureOnly = hide == QLatin1String("audio");
        QString name = node.prop("shotcut:name");
        if (!soundOnly) {
            Track t = makeTrack(TrackKind::Video, name.isEmpty() ? QStringLiteral("V%1").arg(video.size() + 1) : name, muted);
            for (const Piece& piece : pieces) addClip(t, piece, TrackKind::Video);
            applyFilters(node.filters, nullptr, &t);
            video.append(t);
        }
        if (!pictureOnly) {
            const QString trackName = soundOnly && !name.isEmpty() ? name : QStringLiteral("A%1").arg(audio.size() + 1);
            Track lanes[2] = {makeTrack(TrackKind::Audio, trackName, muted), makeTrack(TrackKind::Audio, trackName + QStringLiteral(" mix"), muted)};
            for (const auto& [piece, lane] : soundPieces(pieces)) addClip(lanes[lane], piece, TrackKind::Audio);
            for (Track& t : lanes) applyFilters(node.filters, nullptr, &t);
            if (soundOnly || !lanes[0].clips.isEmpty()) audio.append(lanes[0]);
            if (!lanes[1].clips.isEmpty()) audio.append(lanes[1]);
        }
    }

    // The sound of a track's pieces. A mix's picture is centred on a cut, its sound is not: with MLT's
    // mix transition both sounds run through the whole mix, one fading out as the other fades in — on two
    // lanes, as one track cannot overlap clips; without it the incoming sound starts where the mix does.
    static std::vector<std::pair<Piece, int>> soundPieces(const std::vector<Piece>& pieces) {
        std::vector<std::pair<Piece, int>> sounds;
        int lane = 0;
        for (size_t i = 0; i < pieces.size(); ++i) {
            Piece s = pieces[i];
            if (s.mixLength > 0) {
                const qint64 lead = s.mixLead, tail = s.mixLength - lead;
                const bool adjacent = i > 0 && pieces[i - 1].end() == s.position && !sounds.empty();
                if (s.crossfade) {
                    if (adjacent) {
                        sounds.back().first.length += tail;
                        sounds.back().first.fadeOut = s.mixLength;
                    }
                    lane = 1 - lane;
                    s.fadeIn = s.mixLength;
                } else if (adjacent) {
                    sounds.back().first.length -= lead;
                }
                s.position -= lead;
                s.in -= lead;
                s.length += lead;
            }
            sounds.push_back({s, lane});
        }
        return sounds;
    }

    Track makeTrack(TrackKind kind, const QString& name, bool muted) {
        Track t;
        t.id = next();
        t.kind = kind;
        t.name = name;
        t.muted = muted;
        return t;
    }

    // Shotcut's dissolve: a tractor of the outgoing clip's last frames and the incoming clip's first, mixed.
    // Tandem centres it on a cut: the outgoing clip runs L/2 frames into it, the incoming one the rest.
    void addDissolve(const Node& tractor, qint64 at, qint64 length, std::vector<Piece>& pieces) {
        const Node* a = service(tractor.tracks[0].producer);
        const Node* b = service(tractor.tracks[1].producer);
        bool picture = tractor.prop("tandem:dissolve") == QLatin1String("1"), sound = false;
        for (const Node& t : tractor.transitions) {
            const QString service = t.prop("mlt_service");
            picture = picture || service.contains(QLatin1String("luma")) || service == QLatin1String("affine") ||
                      service == QLatin1String("qtblend") || service == QLatin1String("composite");
            sound = sound || service == QLatin1String("mix");
        }
        if (!a || !b || kindOf(*a) != Kind::Media || kindOf(*b) != Kind::Media) {
            notes_.add(QStringLiteral("nested tractors that are not dissolves of two clips, left as gaps"), tractor.id);
            return;
        }
        // The tracks' own in points (written on the <track> elements of the tractor, else the producers').
        const qint64 aIn = trackIn(tractor, 0, *a), bIn = trackIn(tractor, 1, *b);
        // Without a picture transition the tractor shows its upper track: the picture cuts where the mix starts.
        const qint64 lead = picture ? length / 2 : 0;
        if (lead > 0) pieces.push_back(Piece{a->id, at, aIn, lead, 0, {}});
        Piece incoming{b->id, at + lead, bIn + lead, length - lead, picture ? length : 0, {}};
        incoming.mixLength = length;
        incoming.mixLead = lead;
        incoming.crossfade = sound;
        pieces.push_back(incoming);
    }

    // A mix track's first frame: its in point counts from its producer's own.
    qint64 trackIn(const Node& tractor, int track, const Node& producer) const {
        const QString& in = tractor.tracks[size_t(track)].in;
        return std::max<qint64>(0, frames(producer.in)) + (in.isEmpty() ? 0 : frames(in));
    }

    // Pieces of one clip cut around a dissolve come back together: same producer, continuous source.
    static void mergePieces(std::vector<Piece>& pieces) {
        std::vector<Piece> out;
        for (const Piece& p : pieces) {
            if (!out.empty()) {
                Piece& last = out.back();
                if (last.producer == p.producer && last.end() == p.position && last.in + last.length == p.in && p.dissolveIn == 0) {
                    last.length += p.length;
                    last.entryFilters.insert(last.entryFilters.end(), p.entryFilters.begin(), p.entryFilters.end());
                    continue;
                }
            }
            out.push_back(p);
        }
        pieces = out;
    }

    void addClip(Track& t, const Piece& piece, TrackKind kind) {
        const Node& p = *service(piece.producer);
        const Id assetId = assetFor(p);
        Asset* asset = out_.state.asset(assetId);
        // A clip of a track with both becomes a picture clip and a sound clip, each only where the producer
        // gives it and, once the file was read, the file has it.
        const bool probed = probed_.count(assetId) > 0;
        if (kind == TrackKind::Audio && (p.prop("audio_index") == QLatin1String("-1") || (probed && !asset->hasAudio))) return;
        if (kind == TrackKind::Video && (p.prop("video_index") == QLatin1String("-1") || (probed && !asset->hasVideo))) return;
        (kind == TrackKind::Video ? asset->hasVideo : asset->hasAudio) = true;
        Clip c;
        c.id = next();
        c.assetId = assetId;
        c.position = piece.position;
        c.sourceIn = piece.in;
        c.length = piece.length;
        if (kind == TrackKind::Video) c.dissolveIn = piece.dissolveIn;
        std::vector<Node> filters = p.filters;
        filters.insert(filters.end(), piece.entryFilters.begin(), piece.entryFilters.end());
        applyFilters(filters, &c, &t);
        c.fadeIn = std::max(c.fadeIn, piece.fadeIn);
        c.fadeOut = std::max(c.fadeOut, piece.fadeOut);
        if (p.hasLinks) notes_.add(QStringLiteral("clip links (time remapping and the like), left out"), asset->label);
        t.clips.append(c);
    }

    // Filters as Tandem's clip and track settings; what it does not play is kept and listed.
    void applyFilters(const std::vector<Node>& filters, Clip* clip, Track* track) {
        for (const Node& f : filters) {
            if (f.prop("_loader") == QLatin1String("1") || f.prop("_hide") == QLatin1String("1")) continue; // MLT's own normalisers
            if (f.prop("tandem:dissolve") == QLatin1String("1")) continue; // a dissolve's ramp: read with its tractor
            const QString service = f.prop("mlt_service");
            const bool picture = track->kind == TrackKind::Video, whole = f.in.isEmpty() && f.out.isEmpty();
            if (service == QLatin1String("audiolevel")) continue; // Shotcut's meter
            if (clip && picture && service == QLatin1String("brightness") && readOpacityOrFade(f, *clip)) continue;
            if (!picture && service == QLatin1String("volume") && readVolume(f, clip, track)) continue;
            if (!picture && !clip && service == QLatin1String("panner") && whole) {
                track->pan = std::clamp(f.prop("split").isEmpty() ? f.prop("start").toDouble() * 2 - 1 : f.prop("split").toDouble() * 2 - 1, -1.0, 1.0);
                continue;
            }
            if ((picture && service == QLatin1String("volume")) || (!picture && service == QLatin1String("brightness"))) continue; // the other half's
            keepFilter(f, clip, track);
        }
    }

    // A constant alpha is opacity; alpha rising over the clip's first frames a fade in, falling over its
    // last a fade out.
    bool readOpacityOrFade(const Node& f, Clip& c) {
        const QString alpha = f.prop("alpha").isEmpty() ? f.prop("opacity") : f.prop("alpha");
        if (alpha.isEmpty()) return false;
        const auto keys = keyframes(alpha);
        if (keys.empty()) return false;
        if (keys.size() == 1 && f.in.isEmpty()) {
            c.opacity = std::clamp(keys[0].second, 0.0, 1.0);
            return true;
        }
        const qint64 in = frames(f.in), out = frames(f.out);
        if (in < 0 || out < in) return false;
        const bool rising = keys.back().second > keys.front().second;
        if (rising && in <= c.sourceIn + 1) c.fadeIn = out - in + 1;
        else if (!rising && out >= c.sourceOut() - 2) c.fadeOut = out - in + 1;
        else return false;
        return true;
    }

    // Gain in dB, or a ramp from or to silence (gain/end, or level keyframes from −60 dB and below).
    bool readVolume(const Node& f, Clip* c, Track* t) {
        const QString level = f.prop("level");
        const bool window = !f.in.isEmpty() || !f.out.isEmpty();
        if (!level.isEmpty() && !level.contains(QLatin1Char('='))) {
            if (window) return false;
            (c ? c->gainDb : t->gainDb) = std::clamp(level.toDouble(), -96.0, 24.0);
            return true;
        }
        if (!c || !window) return false;
        double from = 0, to = 0;
        if (!level.isEmpty()) {
            const auto keys = keyframes(level);
            if (keys.size() < 2) return false;
            from = keys.front().second <= -50 ? 0 : 1;
            to = keys.back().second <= -50 ? 0 : 1;
        } else {
            from = f.prop("gain").toDouble();
            to = f.prop("end").toDouble();
        }
        const qint64 in = frames(f.in), out = frames(f.out);
        if (from < to && in <= c->sourceIn + 1) c->fadeIn = out - in + 1;
        else if (from > to && out >= c->sourceOut() - 2) c->fadeOut = out - in + 1;
        else return false;
        return true;
    }

    // "0=0.1;23=0.9" (or "~=", "|=" interpolations, or a plain value) as (frame, value) pairs.
    std::vector<std::pair<qint64, double>> keyframes(const QString& text) const {
        std::vector<std::pair<qint64, double>> keys;
        for (const QString& part : text.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
            const int eq = part.indexOf(QLatin1Char('='));
            if (eq < 0) {
                keys.push_back({0, part.toDouble()});
                continue;
            }
            QString time = part.left(eq);
            while (!time.isEmpty() && !time.back().isDigit()) time.chop(1); // "12~" → "12"
            keys.push_back({frames(time), part.mid(eq + 1).toDouble()});
        }
        return keys;
    }

    void keepFilter(const Node& f, Clip* clip, Track* track) {
        QJsonObject props;
        for (const auto& [k, v] : f.props) props[k] = v;
        QJsonObject kept{{"properties", props}};
        // In and out as frames of the producer, whatever form the document wrote them in.
        if (!f.in.isEmpty() && !f.out.isEmpty()) {
            kept[QStringLiteral("in")] = QString::number(frames(f.in));
            kept[QStringLiteral("out")] = QString::number(frames(f.out));
        }
        QJsonObject& foreign = clip ? clip->foreign : track->foreign;
        QJsonObject mlt = foreign.value(QStringLiteral("mlt")).toObject();
        QJsonArray list = mlt.value(QStringLiteral("filters")).toArray();
        list.append(kept);
        mlt[QStringLiteral("filters")] = list;
        foreign[QStringLiteral("mlt")] = mlt;
        const QString what = f.prop("shotcut:filter").isEmpty() ? f.prop("mlt_service") : f.prop("shotcut:filter");
        notes_.add(QStringLiteral("filters kept for export, not played"), clip ? QStringLiteral("%1 on '%2'").arg(what, out_.state.asset(clip->assetId)->label)
                                                                                : QStringLiteral("%1 on track %2").arg(what, track->name));
    }

    Id assetFor(const Node& p) {
        const QString resource = p.prop("resource");
        const QString file = QFileInfo(resource).isAbsolute() ? resource : QDir(dir_).absoluteFilePath(resource);
        if (auto it = assetByPath_.find(file); it != assetByPath_.end()) return it->second;
        Asset a;
        a.id = next();
        a.label = p.prop("shotcut:caption");
        if (a.label.isEmpty()) a.label = QFileInfo(resource).fileName();
        a.originalName = resource;
        if (!QFileInfo(file).isFile() || !hooks_.adoptMedia) {
            notes_.add(QStringLiteral("media not found, kept as offline clips"), QStringLiteral("'%1' (%2)").arg(a.label, resource));
        } else {
            QString why;
            a.path = hooks_.adoptMedia(file, &why);
            if (a.path.isEmpty()) notes_.add(QStringLiteral("media that could not be brought into the project"), QStringLiteral("%1: %2").arg(resource, why));
            else if (hooks_.probe && !hooks_.probe(file, a)) notes_.add(QStringLiteral("media that could not be read"), resource);
            else if (hooks_.probe) probed_.insert(a.id);
        }
        out_.state.assets.append(a);
        assetByPath_[file] = a.id;
        return a.id;
    }
};

} // namespace

MltExport mltDocument(const ProjectState& state, const Sequence& sequence, const std::function<QString(const Clip&)>& resourceOf) {
    return MltWriter(state, sequence, resourceOf).run();
}

std::optional<MltExport> exportMltProject(const ProjectState& state, Id sequenceId, const QString& bundleDir,
                                          const QString& mltPath, QString* error) {
    const Sequence* seq = state.sequence(sequenceId);
    if (!seq) {
        if (error) *error = QStringLiteral("no sequence with id %1").arg(sequenceId);
        return std::nullopt;
    }
    const QFileInfo doc(mltPath);
    const QString mediaName = doc.completeBaseName() + QStringLiteral("-media");
    const QDir mediaDir(doc.dir().filePath(mediaName));
    std::map<QString, QString> placed; // bundle-relative media → document-relative name
    std::set<QString> names;
    QString failure;
    auto resourceOf = [&](const Clip& c) -> QString {
        const QString media = state.mediaPathOfClip(c);
        if (media.isEmpty() || !failure.isEmpty()) return {};
        if (auto it = placed.find(media); it != placed.end()) return it->second;
        const QString source = QDir(bundleDir).filePath(media);
        if (!QFileInfo(source).isFile()) return {};
        // Takes and media may share a file name: the folder they came from tells them apart.
        QString name = QFileInfo(media).fileName();
        if (names.count(name)) name = QFileInfo(media).dir().dirName() + QLatin1Char('-') + name;
        names.insert(name);
        const QString target = mediaDir.filePath(name);
        if (!mediaDir.mkpath(QStringLiteral(".")) ||
            (!QFileInfo(target).exists() && !linkOrCopyFile(source, target, &failure))) {
            if (failure.isEmpty()) failure = QStringLiteral("cannot create %1").arg(mediaDir.path());
            return {};
        }
        return placed[media] = mediaName + QLatin1Char('/') + name;
    };
    MltExport out = mltDocument(state, *seq, resourceOf);
    if (!failure.isEmpty() || !writeFileAtomically(mltPath, out.xml, &failure)) {
        if (error) *error = failure;
        return std::nullopt;
    }
    return out;
}

std::optional<MltImport> importMlt(const QByteArray& xml, const QString& mltDir, const OtioImportHooks& hooks, QString* error) {
    try {
        return MltReader(mltDir, hooks).run(xml);
    } catch (const BadMlt& e) {
        if (error) *error = QString::fromStdString(e.what());
        return std::nullopt;
    }
}

QString MltImport::summary() const { return NotesByKind::summary(QStringLiteral("the MLT document"), warnings); }

} // namespace tandem::timeline
