#include "ui/bins_panel.h"

#include <QActionGroup>
#include <QComboBox>
#include <QDrag>
#include <QDragEnterEvent>
#include <QDragMoveEvent>
#include <QDropEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QPainter>
#include <QProgressBar>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QStyle>
#include <QTimer>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <iterator>

namespace tandem::ui {

using timeline::Asset;
using timeline::AssetKind;
using timeline::Bin;
using timeline::EditResult;
using timeline::Id;
using timeline::ReferenceRole;

namespace {

constexpr int kAssetRole = Qt::UserRole;
constexpr int kBinRole = Qt::UserRole + 1;
constexpr QSize kIconSize(64, 36);
enum Column { NameColumn, RoleColumn, DurationColumn, SizeColumn };

struct RoleTitle {
    ReferenceRole role;
    const char* title;
};
constexpr RoleTitle kRoles[] = {{ReferenceRole::None, "None"},   {ReferenceRole::Character, "Character"},
                                {ReferenceRole::Style, "Style"}, {ReferenceRole::Motion, "Motion"},
                                {ReferenceRole::Voice, "Voice"}, {ReferenceRole::Music, "Music"}};

QString roleTitle(ReferenceRole role) {
    for (const RoleTitle& r : kRoles)
        if (r.role == role) return BinsPanel::tr(r.title);
    return {};
}

Id assetOf(const QTreeWidgetItem* item) {
    return item ? item->data(NameColumn, kAssetRole).toLongLong() : 0;
}
Id binOf(const QTreeWidgetItem* item) {
    return item ? item->data(NameColumn, kBinRole).toLongLong() : 0;
}

QStringList localPaths(const QMimeData* mime) {
    QStringList paths;
    if (!mime || !mime->hasUrls()) return paths;
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    return paths;
}

// Accepts a drop as `action` when the source offers it; a file manager must only ever see Copy, or it may
// delete the files it thinks were moved.
bool takeDrop(QDropEvent* event, Qt::DropAction action) {
    if (action == Qt::IgnoreAction || !(event->possibleActions() & action)) {
        event->ignore();
        return false;
    }
    event->setDropAction(action);
    event->accept();
    return true;
}

QString durationText(const timeline::ProjectState& state, const Asset& asset) {
    double seconds = asset.duration;
    if (seconds <= 0 && asset.kind == AssetKind::Generated)
        if (const timeline::Take* take = state.take(asset.activeTakeId)) seconds = take->duration;
    return seconds > 0 ? BinsPanel::tr("%1 s").arg(seconds, 0, 'f', 1) : QString();
}

QString sizeText(const Asset& asset, int takes) {
    QStringList parts;
    if (asset.hasVideo && asset.width > 0 && asset.height > 0)
        parts << QStringLiteral("%1×%2").arg(asset.width).arg(asset.height);
    if (asset.hasVideo && asset.fps > 0)
        parts << BinsPanel::tr("%1 fps").arg(QString::number(asset.fps, 'g', 4));
    if (!asset.hasVideo && asset.hasAudio) parts << BinsPanel::tr("audio");
    if (asset.kind == AssetKind::Generated)
        parts << (takes == 1 ? BinsPanel::tr("1 take") : BinsPanel::tr("%1 takes").arg(takes));
    return parts.join(QStringLiteral(" · "));
}

// The thumbnail letterboxed into the icon's size, so every row lines up.
QImage fitThumbnail(const QImage& thumbnail) {
    QImage icon(kIconSize, QImage::Format_ARGB32_Premultiplied);
    icon.fill(Qt::transparent);
    const QImage scaled = thumbnail.scaled(kIconSize, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    QPainter p(&icon);
    p.drawImage((icon.width() - scaled.width()) / 2, (icon.height() - scaled.height()) / 2, scaled);
    return icon;
}

// The loudest peak among those that fall in column `x` of `columns`.
float peakInColumn(const QVector<float>& peaks, int x, int columns) {
    const qsizetype first = peaks.size() * x / columns;
    const qsizetype last = std::max(first + 1, peaks.size() * (x + 1) / columns);
    float peak = 0;
    for (qsizetype i = first; i < std::min(last, peaks.size()); ++i)
        peak = std::max(peak, peaks[i]);
    return std::clamp(peak, 0.0f, 1.0f);
}

QImage drawWaveform(const QVector<float>& peaks) {
    QImage icon(kIconSize, QImage::Format_ARGB32_Premultiplied);
    icon.fill(QColor(0x2d, 0x30, 0x35));
    QPainter p(&icon);
    p.setPen(QColor(0x6f, 0xd0, 0x8c));
    const int mid = icon.height() / 2;
    for (int x = 0; x < icon.width(); ++x) {
        const int half = std::max(1, int(peakInColumn(peaks, x, icon.width()) * float(mid - 2)));
        p.drawLine(x, mid - half, x, mid + half);
    }
    return icon;
}

// The tree hands drags and drops to the panel: out goes asset mime data (never Qt's item-model format,
// whose "move" would delete rows), in come the panel's own assets (a move between bins) or files.
class AssetTree : public QTreeWidget {
public:
    using QTreeWidget::QTreeWidget;
    std::function<QMimeData*()> dragData; // nullptr when nothing draggable is selected
    std::function<void(QDropEvent*)> onDrop;

protected:
    QStringList mimeTypes() const override {
        return {QString::fromLatin1(kAssetMimeType), QStringLiteral("text/uri-list")};
    }
    void startDrag(Qt::DropActions) override;
    void dragEnterEvent(QDragEnterEvent* event) override {
        QTreeWidget::dragEnterEvent(event); // starts auto-scrolling; acceptance is decided here
        takeDrop(event, actionFor(event));
    }
    void dragMoveEvent(QDragMoveEvent* event) override {
        QTreeWidget::dragMoveEvent(event);
        takeDrop(event, actionFor(event));
    }
    void dropEvent(QDropEvent* event) override;

private:
    Qt::DropAction actionFor(const QDropEvent* event) const {
        if (event->source() == this && !assetIdsFromMime(event->mimeData()).isEmpty()) return Qt::MoveAction;
        return localPaths(event->mimeData()).isEmpty() ? Qt::IgnoreAction : Qt::CopyAction;
    }
};

void AssetTree::startDrag(Qt::DropActions) {
    QMimeData* mime = dragData ? dragData() : nullptr;
    if (!mime) return;
    auto* drag = new QDrag(this); // Qt deletes it when the drag ends
    drag->setMimeData(mime);
    if (const QTreeWidgetItem* item = currentItem())
        drag->setPixmap(item->icon(NameColumn).pixmap(iconSize()));
    // The result is ignored on purpose: a drag never removes anything from the bins by itself.
    drag->exec(Qt::CopyAction | Qt::MoveAction, Qt::CopyAction);
}

void AssetTree::dropEvent(QDropEvent* event) {
    if (takeDrop(event, actionFor(event)) && onDrop) onDrop(event);
    stopAutoScroll();
    setState(NoState);
    viewport()->update();
}

} // namespace

QMimeData* assetMimeData(const QList<Id>& assetIds) {
    QStringList ids;
    for (Id id : assetIds)
        ids << QString::number(id);
    auto* mime = new QMimeData;
    mime->setData(QString::fromLatin1(kAssetMimeType), ids.join(QLatin1Char(',')).toUtf8());
    return mime;
}

QList<Id> assetIdsFromMime(const QMimeData* mime) {
    QList<Id> ids;
    if (!mime || !mime->hasFormat(QString::fromLatin1(kAssetMimeType))) return ids;
    const QString text = QString::fromUtf8(mime->data(QString::fromLatin1(kAssetMimeType)));
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const Id id = part.trimmed().toLongLong(&ok);
        if (ok && id > 0) ids << id;
    }
    return ids;
}

// --- construction

BinsPanel::BinsPanel(timeline::Project& project, const QHash<Id, MediaPreview>& previews, QWidget* parent)
    : QWidget(parent), project_(project), previews_(previews) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(buildFilterBar());
    buildTree();
    layout->addWidget(tree_, 1);
    buildProgress(layout);
    connectTree();
    setAcceptDrops(true);
    listener_ = project_.addChangeListener([this] { onProjectChanged(); });
    rebuild();
}

BinsPanel::~BinsPanel() {
    project_.removeChangeListener(listener_);
}

QWidget* BinsPanel::buildFilterBar() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    filter_ = new QLineEdit(bar);
    filter_->setObjectName(QStringLiteral("binsFilter"));
    filter_->setPlaceholderText(tr("Filter by name"));
    filter_->setClearButtonEnabled(true);
    filter_->setAcceptDrops(false); // dropped files go to the panel, not into the text
    roleFilter_ = new QComboBox(bar);
    roleFilter_->setObjectName(QStringLiteral("binsRoleFilter"));
    roleFilter_->addItem(tr("All roles"), -1);
    for (const RoleTitle& r : kRoles)
        if (r.role != ReferenceRole::None) roleFilter_->addItem(tr(r.title), int(r.role));
    row->addWidget(filter_, 1);
    row->addWidget(roleFilter_);
    connect(filter_, &QLineEdit::textChanged, this, &BinsPanel::applyFilter);
    connect(roleFilter_, &QComboBox::currentIndexChanged, this, &BinsPanel::applyFilter);
    return bar;
}

void BinsPanel::buildProgress(QLayout* layout) {
    progressLabel_ = new QLabel(this);
    progressLabel_->setObjectName(QStringLiteral("importLabel"));
    progressLabel_->setSizePolicy(QSizePolicy::Ignored,
                                  QSizePolicy::Preferred); // long names never widen the dock
    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("importProgress"));
    progress_->setFormat(QStringLiteral("%v / %m"));
    layout->addWidget(progressLabel_);
    layout->addWidget(progress_);
    setImportProgress(0, 0, {});
}

void BinsPanel::buildTree() {
    auto* tree = new AssetTree(this);
    tree->setObjectName(QStringLiteral("binsTree"));
    tree->setHeaderLabels({tr("Name"), tr("Role"), tr("Duration"), tr("Size")});
    tree->setIconSize(kIconSize);
    tree->setUniformRowHeights(true);
    tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    tree->setEditTriggers(QAbstractItemView::EditKeyPressed); // a double-click opens the asset instead
    tree->setDragDropMode(QAbstractItemView::DragDrop);
    tree->setDropIndicatorShown(false); // drops go into a bin, never between rows
    tree->setContextMenuPolicy(Qt::CustomContextMenu);
    tree->header()->setStretchLastSection(false);
    tree->header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    for (int column : {RoleColumn, DurationColumn, SizeColumn})
        tree->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    tree->dragData = [this] { return dragData(); };
    tree->onDrop = [this](QDropEvent* event) { dropOnTree(event); };
    tree_ = tree;
}

void BinsPanel::connectTree() {
    connect(tree_, &QTreeWidget::itemChanged, this, &BinsPanel::onItemChanged);
    connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        if (const Id asset = assetOf(item)) Q_EMIT assetActivated(asset);
    });
    connect(tree_, &QTreeWidget::itemExpanded, this,
            [this](QTreeWidgetItem* item) { collapsedBins_.remove(binOf(item)); });
    connect(tree_, &QTreeWidget::itemCollapsed, this, [this](QTreeWidgetItem* item) {
        if (const Id bin = binOf(item)) collapsedBins_.insert(bin);
    });
    connect(tree_, &QWidget::customContextMenuRequested, this, &BinsPanel::showContextMenu);
}

// --- the tree from the project

void BinsPanel::onProjectChanged() {
    if (!binsOrAssetsChanged()) return; // e.g. a timeline edit: keep the tree (and any open editor) as it is
    if (inItemChange_)
        rebuildSoon();
    else
        rebuild();
}

// Qt lists share their data until written, so an untouched list still has the data the tree was built from.
bool BinsPanel::binsOrAssetsChanged() const {
    const timeline::ProjectState& s = project_.state();
    return s.bins.constData() != seenBins_.constData() || s.assets.constData() != seenAssets_.constData() ||
           s.takes.constData() != seenTakes_.constData();
}

void BinsPanel::rebuildSoon() {
    if (rebuildQueued_) return;
    rebuildQueued_ = true;
    QTimer::singleShot(0, this, [this] {
        if (rebuildQueued_) rebuild();
    });
}

void BinsPanel::rebuild() {
    rebuildQueued_ = false;
    seenBins_ = project_.state().bins;
    seenAssets_ = project_.state().assets;
    seenTakes_ = project_.state().takes;
    QSet<Id> assets, bins;
    for (const QTreeWidgetItem* item : tree_->selectedItems()) {
        if (const Id asset = assetOf(item)) assets.insert(asset);
        if (const Id bin = binOf(item)) bins.insert(bin);
    }
    const int scroll = tree_->verticalScrollBar()->value();
    const QSignalBlocker quiet(tree_); // filling items is not the creator renaming them
    tree_->clear();
    ItemsById binItems;
    addBinItems(tree_->invisibleRootItem(), 0, binItems);
    addAssetItems(binItems);
    restoreSelection(assets, bins);
    applyFilter();
    tree_->verticalScrollBar()->setValue(scroll);
}

void BinsPanel::addBinItems(QTreeWidgetItem* parent, Id parentBinId, ItemsById& bins) const {
    for (const Bin& bin : project_.state().bins) {
        if (bin.parentId != parentBinId || bins.contains(bin.id)) continue;
        QTreeWidgetItem* item = makeBinItem(bin);
        parent->addChild(item);
        bins.insert(bin.id, item);
        addBinItems(item, bin.id, bins);
    }
}

void BinsPanel::addAssetItems(const ItemsById& bins) {
    QHash<Id, int> takes;
    for (const timeline::Take& take : project_.state().takes)
        ++takes[take.assetId];
    for (const Asset& asset : project_.state().assets) {
        QTreeWidgetItem* parent = bins.value(asset.binId, tree_->invisibleRootItem());
        parent->addChild(makeAssetItem(asset, takes.value(asset.id)));
    }
}

QTreeWidgetItem* BinsPanel::makeBinItem(const Bin& bin) const {
    auto* item = new QTreeWidgetItem(QStringList{bin.name});
    item->setData(NameColumn, kBinRole, bin.id);
    item->setIcon(NameColumn, style()->standardIcon(QStyle::SP_DirIcon));
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsDropEnabled | Qt::ItemIsEditable);
    return item;
}

QTreeWidgetItem* BinsPanel::makeAssetItem(const Asset& asset, int takes) {
    const QString role = asset.role == ReferenceRole::None ? QString() : roleTitle(asset.role);
    auto* item = new QTreeWidgetItem(
        QStringList{asset.label, role, durationText(project_.state(), asset), sizeText(asset, takes)});
    item->setData(NameColumn, kAssetRole, asset.id);
    item->setIcon(NameColumn, iconFor(asset));
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsDragEnabled | Qt::ItemIsEditable);
    if (asset.offline()) {
        item->setForeground(NameColumn, palette().color(QPalette::Disabled, QPalette::Text));
        item->setToolTip(NameColumn, tr("Media offline: %1").arg(asset.originalName));
    } else {
        item->setToolTip(NameColumn, asset.kind == AssetKind::Generated ? asset.prompt : asset.originalName);
    }
    return item;
}

void BinsPanel::restoreSelection(const QSet<Id>& assets, const QSet<Id>& bins) {
    QTreeWidgetItem* first = nullptr;
    for (QTreeWidgetItemIterator it(tree_); *it; ++it) {
        if (!assets.contains(assetOf(*it)) && !bins.contains(binOf(*it))) continue;
        (*it)->setSelected(true);
        if (!first) first = *it;
    }
    if (first)
        tree_->selectionModel()->setCurrentIndex(tree_->indexFromItem(first), QItemSelectionModel::NoUpdate);
}

// --- filtering

void BinsPanel::applyFilter() {
    const QSignalBlocker quiet(tree_); // opening bins for a filter is not the creator opening them
    const bool filtering = !filter_->text().trimmed().isEmpty() || roleFilter_->currentData().toInt() >= 0;
    QTreeWidgetItem* root = tree_->invisibleRootItem();
    for (int i = 0; i < root->childCount(); ++i)
        filterItem(root->child(i), filtering);
}

bool BinsPanel::passesFilter(Id assetId) const {
    const Asset* asset = project_.asset(assetId);
    if (!asset) return false;
    const int role = roleFilter_->currentData().toInt();
    if (role >= 0 && int(asset->role) != role) return false;
    return asset->label.contains(filter_->text().trimmed(), Qt::CaseInsensitive);
}

// Hides what the filter rejects and returns whether `item` stays visible. While filtering, bins without a
// match are hidden and the others opened, so every match is in sight.
bool BinsPanel::filterItem(QTreeWidgetItem* item, bool filtering) {
    if (const Id asset = assetOf(item)) {
        const bool shown = passesFilter(asset);
        item->setHidden(!shown);
        return shown;
    }
    bool anyShown = false;
    for (int i = 0; i < item->childCount(); ++i)
        anyShown = filterItem(item->child(i), filtering) || anyShown;
    const bool shown = anyShown || !filtering;
    item->setHidden(!shown);
    item->setExpanded(filtering || !collapsedBins_.contains(binOf(item)));
    return shown;
}

// --- icons

QIcon BinsPanel::iconFor(const Asset& asset) {
    if (const auto cached = icons_.constFind(asset.id); cached != icons_.constEnd()) return cached.value();
    const QIcon icon = makeIcon(asset);
    icons_.insert(asset.id, icon);
    return icon;
}

QIcon BinsPanel::makeIcon(const Asset& asset) const {
    if (const auto found = previews_.constFind(asset.id); found != previews_.constEnd()) {
        if (asset.hasVideo && !found->thumbnail.isNull())
            return QIcon(QPixmap::fromImage(fitThumbnail(found->thumbnail)));
        if (!found->peaks.isEmpty()) return QIcon(QPixmap::fromImage(drawWaveform(found->peaks)));
    }
    return style()->standardIcon(asset.hasVideo ? QStyle::SP_FileIcon : QStyle::SP_MediaVolume);
}

void BinsPanel::refreshPreviews() {
    icons_.clear();
    rebuild();
}

// --- public helpers

Id BinsPanel::assetAt(const QModelIndex& index) {
    return index.siblingAtColumn(NameColumn).data(kAssetRole).toLongLong();
}

Id BinsPanel::binAt(const QModelIndex& index) {
    return index.siblingAtColumn(NameColumn).data(kBinRole).toLongLong();
}

Id BinsPanel::binUnder(const QPoint& viewportPos) const {
    const QTreeWidgetItem* item = tree_->itemAt(viewportPos);
    if (const Id bin = binOf(item)) return bin;
    const Asset* asset = project_.asset(assetOf(item));
    return asset ? asset->binId : 0;
}

QTreeWidgetItem* BinsPanel::itemForAsset(Id assetId) const {
    for (QTreeWidgetItemIterator it(tree_); *it; ++it)
        if (assetId && assetOf(*it) == assetId) return *it;
    return nullptr;
}

QTreeWidgetItem* BinsPanel::itemForBin(Id binId) const {
    for (QTreeWidgetItemIterator it(tree_); *it; ++it)
        if (binId && binOf(*it) == binId) return *it;
    return nullptr;
}

QList<Id> BinsPanel::selectedAssets() const {
    QList<Id> ids;
    const auto flags = QTreeWidgetItemIterator::Selected | QTreeWidgetItemIterator::NotHidden;
    for (QTreeWidgetItemIterator it(tree_, flags); *it; ++it)
        if (const Id asset = assetOf(*it)) ids << asset;
    return ids;
}

void BinsPanel::setImportProgress(int done, int total, const QString& currentName) {
    const bool importing = total > 0;
    progress_->setVisible(importing);
    progressLabel_->setVisible(importing);
    if (!importing) return;
    progress_->setRange(0, total);
    progress_->setValue(std::clamp(done, 0, total));
    progressLabel_->setText(
        tr("Importing %1 (%2 of %3)").arg(currentName).arg(std::min(done + 1, total)).arg(total));
}

// --- edits

bool BinsPanel::report(const EditResult& result) {
    if (!result.ok) Q_EMIT statusMessage(result.reason);
    return result.ok;
}

// One request per asset, as one undo step.
EditResult BinsPanel::eachAsset(const QString& text, const QList<Id>& assetIds,
                                const std::function<EditResult(Id)>& request) {
    if (assetIds.size() == 1) return request(assetIds.front());
    return project_.requestCompound(text, [&] {
        for (Id id : assetIds)
            if (EditResult r = request(id); !r.ok) return r;
        return EditResult{};
    });
}

bool BinsPanel::moveAssets(const QList<Id>& assetIds, Id binId) {
    QList<Id> moving;
    for (Id id : assetIds)
        if (const Asset* asset = project_.asset(id); asset && asset->binId != binId) moving << id;
    if (moving.isEmpty()) return true;
    collapsedBins_.remove(binId); // show where they went
    return report(eachAsset(tr("Move to bin"), moving,
                            [this, binId](Id id) { return project_.requestMoveAsset(id, binId); }));
}

void BinsPanel::setRole(const QList<Id>& assetIds, ReferenceRole role) {
    QList<Id> changing;
    for (Id id : assetIds)
        if (const Asset* asset = project_.asset(id); asset && asset->role != role) changing << id;
    if (changing.isEmpty()) return;
    report(eachAsset(tr("Set reference role"), changing,
                     [this, role](Id id) { return project_.requestSetRole(id, role); }));
}

void BinsPanel::removeAssets(const QList<Id>& assetIds) {
    report(
        eachAsset(tr("Remove assets"), assetIds, [this](Id id) { return project_.requestRemoveAsset(id); }));
}

void BinsPanel::removeBin(Id binId) {
    report(project_.requestRemoveBin(binId));
}

void BinsPanel::addBin(Id parentBinId) {
    collapsedBins_.remove(parentBinId); // the new bin appears inside an open parent
    const EditResult result = project_.requestAddBin(tr("New bin"), parentBinId);
    if (report(result)) startRename(itemForBin(result.newId));
}

void BinsPanel::startRename(QTreeWidgetItem* item) {
    if (!item) return;
    tree_->scrollToItem(item);
    tree_->setCurrentItem(item);
    tree_->editItem(item, NameColumn);
}

void BinsPanel::onItemChanged(QTreeWidgetItem* item, int column) {
    inItemChange_ = true;
    if (column == NameColumn)
        renameFromItem(item);
    else
        rebuildSoon(); // only names are edited; put any other column back
    inItemChange_ = false;
}

void BinsPanel::renameFromItem(QTreeWidgetItem* item) {
    const QString name = item->text(NameColumn);
    EditResult result;
    if (const Asset* asset = project_.asset(assetOf(item))) {
        if (asset->label == name) return;
        result = project_.requestRenameAsset(asset->id, name);
    } else if (const Bin* bin = project_.state().bin(binOf(item))) {
        if (bin->name == name) return;
        result = project_.requestRenameBin(bin->id, name);
    }
    if (!report(result)) rebuildSoon(); // show the old name again
}

// --- context menu

std::unique_ptr<QMenu> BinsPanel::contextMenuFor(QTreeWidgetItem* item) {
    auto menu = std::make_unique<QMenu>();
    if (const Id asset = assetOf(item))
        addAssetActions(*menu, asset);
    else if (const Id bin = binOf(item))
        addBinActions(*menu, bin);
    else
        menu->addAction(tr("New bin"), this, [this] { addBin(0); });
    return menu;
}

void BinsPanel::showContextMenu(const QPoint& viewportPos) {
    const std::unique_ptr<QMenu> menu = contextMenuFor(tree_->itemAt(viewportPos));
    menu->exec(tree_->viewport()->mapToGlobal(viewportPos));
}

// A gesture on a selected asset applies to the whole selection; on any other asset, to that one alone.
QList<Id> BinsPanel::targetsFor(Id assetId) const {
    const QList<Id> selected = selectedAssets();
    return selected.contains(assetId) ? selected : QList<Id>{assetId};
}

void BinsPanel::addAssetActions(QMenu& menu, Id assetId) {
    const Asset* asset = project_.asset(assetId);
    if (!asset) return;
    const QList<Id> targets = targetsFor(assetId);
    addRoleMenu(menu, targets, asset->role);
    menu.addAction(tr("Rename"), this, [this, assetId] { startRename(itemForAsset(assetId)); });
    menu.addAction(tr("Use as reference"), this, [this, targets] {
        for (Id id : targets)
            Q_EMIT useAsReference(id);
    });
    menu.addSeparator();
    menu.addAction(tr("New bin"), this, [this, bin = asset->binId] { addBin(bin); });
    menu.addSeparator();
    menu.addAction(tr("Remove"), this, [this, targets] { removeAssets(targets); });
}

void BinsPanel::addRoleMenu(QMenu& menu, const QList<Id>& targets, ReferenceRole current) {
    QMenu* roles = menu.addMenu(tr("Role"));
    auto* group = new QActionGroup(roles);
    for (const RoleTitle& r : kRoles) {
        QAction* action =
            roles->addAction(tr(r.title), this, [this, targets, role = r.role] { setRole(targets, role); });
        action->setCheckable(true);
        action->setChecked(r.role == current);
        group->addAction(action);
    }
}

void BinsPanel::addBinActions(QMenu& menu, Id binId) {
    menu.addAction(tr("Rename"), this, [this, binId] { startRename(itemForBin(binId)); });
    menu.addAction(tr("New bin"), this, [this, binId] { addBin(binId); });
    menu.addSeparator();
    menu.addAction(tr("Remove"), this, [this, binId] { removeBin(binId); });
}

// --- drag and drop

QMimeData* BinsPanel::dragData() const {
    const QList<Id> assets = selectedAssets();
    return assets.isEmpty() ? nullptr : assetMimeData(assets);
}

void BinsPanel::dropOnTree(QDropEvent* event) {
    const Id bin = binUnder(event->position().toPoint());
    if (event->source() == tree_) {
        moveAssets(assetIdsFromMime(event->mimeData()), bin);
        return;
    }
    const QStringList paths = localPaths(event->mimeData());
    if (!paths.isEmpty()) Q_EMIT filesDropped(paths, bin);
}

void BinsPanel::dragEnterEvent(QDragEnterEvent* event) {
    takeDrop(event, localPaths(event->mimeData()).isEmpty() ? Qt::IgnoreAction : Qt::CopyAction);
}

void BinsPanel::dragMoveEvent(QDragMoveEvent* event) {
    takeDrop(event, localPaths(event->mimeData()).isEmpty() ? Qt::IgnoreAction : Qt::CopyAction);
}

void BinsPanel::dropEvent(QDropEvent* event) {
    const QStringList paths = localPaths(event->mimeData());
    if (takeDrop(event, paths.isEmpty() ? Qt::IgnoreAction : Qt::CopyAction)) Q_EMIT filesDropped(paths, 0);
}

} // namespace tandem::ui
