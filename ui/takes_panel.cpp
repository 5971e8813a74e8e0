#include "ui/takes_panel.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

namespace tandem::ui {

using timeline::Id;

namespace {

QString translated(const char* text) {
    return QCoreApplication::translate("TakesPanel", text);
}

// Which number a take has within its shot: the shot's takes in the order they were made.
int takeNumber(const timeline::ProjectState& state, const timeline::Take& take) {
    int number = 0;
    for (const timeline::Take& t : state.takes) {
        if (t.assetId == take.assetId) ++number;
        if (t.id == take.id) break;
    }
    return number;
}

QString createdText(const QString& iso) {
    const QDateTime when = QDateTime::fromString(iso, Qt::ISODate);
    return when.isValid() ? when.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm")) : iso;
}

// A take is stale for a clip when the clip, showing it, would be: its inputs changed since it was made.
bool takeIsStale(const timeline::ProjectState& state, const timeline::Clip& clip, Id takeId) {
    timeline::Clip showing = clip;
    showing.takeId = takeId;
    return state.isStale(showing);
}

QString takeToolTip(const timeline::Take& take, bool stale) {
    QStringList lines;
    const QString prompt = take.request.value(QStringLiteral("prompt")).toString();
    if (!prompt.isEmpty()) lines << translated("Prompt: %1").arg(prompt);
    if (!take.modelId.isEmpty()) lines << translated("Model: %1").arg(take.modelId);
    lines << translated("%1 s").arg(take.duration, 0, 'f', 1);
    if (stale)
        lines << translated("Stale: a reference, the mask or the source changed since this take was made.");
    return lines.join(u'\n');
}

} // namespace

QString takeLabel(const timeline::ProjectState& state, Id takeId) {
    const timeline::Take* take = state.take(takeId);
    if (!take) return translated("(missing take)");
    QStringList parts{QStringLiteral("T%1").arg(takeNumber(state, *take)), take->task,
                      translated("seed %1").arg(take->seed)};
    if (!take->created.isEmpty()) parts << createdText(take->created);
    return parts.join(QStringLiteral(" · "));
}

TakesPanel::TakesPanel(timeline::Project& project, QWidget* parent) : QWidget(parent), project_(project) {
    auto* layout = new QVBoxLayout(this);
    caption_ = new QLabel(this);
    caption_->setObjectName(QStringLiteral("takesCaption"));
    caption_->setWordWrap(true);
    layout->addWidget(caption_);

    list_ = new QListWidget(this);
    list_->setObjectName(QStringLiteral("takesList"));
    list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    connect(list_, &QListWidget::itemSelectionChanged, this, &TakesPanel::updateButtons);
    connect(list_, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { useTake(item->data(Qt::UserRole).toLongLong()); });
    layout->addWidget(list_, 1);

    auto* buttons = new QHBoxLayout;
    use_ = new QPushButton(tr("Use this take"), this);
    use_->setObjectName(QStringLiteral("takesUse"));
    connect(use_, &QPushButton::clicked, this, &TakesPanel::useSelected);
    compare_ = new QPushButton(tr("Compare"), this);
    compare_->setObjectName(QStringLiteral("takesCompare"));
    compare_->setToolTip(tr("Two selected takes, or the current one and the selected one, side by side"));
    connect(compare_, &QPushButton::clicked, this, &TakesPanel::compareSelected);
    buttons->addWidget(use_);
    buttons->addWidget(compare_);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    listener_ = project_.addChangeListener([this] { refresh(); });
    refresh();
}

TakesPanel::~TakesPanel() {
    project_.removeChangeListener(listener_);
}

void TakesPanel::setClip(Id clipId) {
    if (clipId == clipId_) return;
    clipId_ = clipId;
    list_->clear();
    refresh();
}

Id TakesPanel::currentTake() const {
    const auto& state = project_.state();
    const timeline::Clip* clip = state.clip(clipId_);
    if (!clip) return 0;
    if (clip->takeId) return clip->takeId;
    const timeline::Asset* asset = state.asset(clip->assetId);
    return asset ? asset->activeTakeId : 0;
}

// Updates the rows in place when the same takes are listed (a switch, an undo), so a double-click that
// switched takes never has its item deleted under it.
void TakesPanel::refresh() {
    const auto& state = project_.state();
    const timeline::Clip* clip = state.clip(clipId_);
    const timeline::Asset* asset = clip ? state.asset(clip->assetId) : nullptr;
    QList<Id> takes;
    if (!clip)
        caption_->setText(tr("Select a generated clip on the timeline to see its takes."));
    else if (!asset || asset->kind != timeline::AssetKind::Generated)
        caption_->setText(
            tr("“%1” is not a generated shot: it has no takes.").arg(asset ? asset->label : QString()));
    else {
        caption_->setText(tr("Takes of “%1”").arg(asset->label));
        for (const timeline::Take& take : state.takes)
            if (take.assetId == asset->id) takes << take.id;
    }
    if (listedTakes() != takes) {
        list_->clear();
        for (Id id : takes)
            (new QListWidgetItem(list_))->setData(Qt::UserRole, id);
    }
    const Id current = currentTake();
    for (int row = 0; row < list_->count(); ++row) {
        QListWidgetItem* item = list_->item(row);
        const timeline::Take* take = state.take(item->data(Qt::UserRole).toLongLong());
        const bool isCurrent = take->id == current;
        const bool stale = takeIsStale(state, *clip, take->id);
        QString text = takeLabel(state, take->id);
        if (isCurrent) text = QStringLiteral("▶ ") + text + tr(" (current)");
        if (stale) text += tr(" · stale");
        item->setText(text);
        QFont font = item->font();
        font.setBold(isCurrent);
        item->setFont(font);
        item->setForeground(stale ? QBrush(QColor(0xd0, 0x80, 0x00)) : QBrush());
        item->setToolTip(takeToolTip(*take, stale));
    }
    updateButtons();
}

QList<Id> TakesPanel::listedTakes() const {
    QList<Id> ids;
    for (int row = 0; row < list_->count(); ++row)
        ids << list_->item(row)->data(Qt::UserRole).toLongLong();
    return ids;
}

QList<Id> TakesPanel::selectedTakes() const {
    QList<Id> ids;
    for (int row = 0; row < list_->count(); ++row)
        if (list_->item(row)->isSelected()) ids << list_->item(row)->data(Qt::UserRole).toLongLong();
    return ids;
}

void TakesPanel::selectTakes(const QList<Id>& takeIds) {
    for (int row = 0; row < list_->count(); ++row)
        list_->item(row)->setSelected(takeIds.contains(list_->item(row)->data(Qt::UserRole).toLongLong()));
}

QPair<Id, Id> TakesPanel::comparePair() const {
    const QList<Id> selected = selectedTakes();
    if (selected.size() == 2) return {selected[0], selected[1]};
    const Id current = currentTake();
    if (selected.size() == 1 && current && selected[0] != current) return {current, selected[0]};
    return {0, 0};
}

void TakesPanel::updateButtons() {
    const QList<Id> selected = selectedTakes();
    use_->setEnabled(selected.size() == 1 && selected[0] != currentTake());
    compare_->setEnabled(comparePair().first != 0);
}

void TakesPanel::useSelected() {
    const QList<Id> selected = selectedTakes();
    if (selected.size() == 1) useTake(selected[0]);
}

bool TakesPanel::useTake(Id takeId) {
    const timeline::EditResult result = project_.requestSwitchTake(clipId_, takeId);
    if (!result.ok) {
        Q_EMIT statusMessage(tr("Cannot use this take: %1").arg(result.reason));
        return false;
    }
    Q_EMIT statusMessage(tr("The clip now shows %1").arg(takeLabel(project_.state(), takeId)));
    return true;
}

bool TakesPanel::compareSelected() {
    const auto [a, b] = comparePair();
    if (!a) {
        Q_EMIT statusMessage(tr("Select two takes to compare (or one besides the current take)."));
        return false;
    }
    Q_EMIT compareRequested(a, b);
    return true;
}

// --- TakeCompareView

TakeCompareView::TakeCompareView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("takeCompare"));
    setMinimumSize(240, 120);
}

void TakeCompareView::setImages(const QImage& a, const QString& labelA, const QImage& b,
                                const QString& labelB) {
    a_ = a;
    b_ = b;
    labelA_ = labelA;
    labelB_ = labelB;
    update();
}

void TakeCompareView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(24, 24, 24));
    constexpr int kGap = 6;
    const int half = (width() - kGap) / 2;
    drawSide(painter, QRect(0, 0, half, height()), a_, labelA_);
    drawSide(painter, QRect(half + kGap, 0, width() - half - kGap, height()), b_, labelB_);
}

void TakeCompareView::drawSide(QPainter& painter, const QRect& area, const QImage& image,
                               const QString& label) const {
    const int labelHeight = fontMetrics().height() + 6;
    const QRect picture = area.adjusted(0, 0, 0, -labelHeight);
    painter.fillRect(picture, Qt::black);
    if (image.isNull()) {
        painter.setPen(Qt::gray);
        painter.drawText(picture, Qt::AlignCenter, tr("No picture"));
    } else {
        QRect target(QPoint(), image.size().scaled(picture.size(), Qt::KeepAspectRatio));
        target.moveCenter(picture.center());
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(target, image);
    }
    painter.setPen(QColor(220, 220, 220)); // on the fixed dark background, whatever the theme
    const QRect caption(area.left(), picture.bottom() + 1, area.width(), labelHeight);
    painter.drawText(caption, Qt::AlignCenter,
                     fontMetrics().elidedText(label, Qt::ElideMiddle, area.width()));
}

} // namespace tandem::ui
