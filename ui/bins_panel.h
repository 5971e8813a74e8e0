// Design note: the project's media browser. A tree of bins (folders) and their assets, rebuilt from the
// project after every change and whenever previews arrive, keeping which bins are open and what is selected
// (by id, since items are thrown away on each rebuild). Every edit the creator makes here — rename, role
// tag, new bin, remove, moving assets between bins — is a Project request; a refusal comes back as
// statusMessage. What the panel cannot do itself it hands on as signals: files dropped from the file manager
// (the integrator imports them), an activated asset (shown in the source viewer), a chosen reference.
// Assets leave the panel by drag as kAssetMimeType data, read back with assetIdsFromMime.
#pragma once

#include "timeline/project.h"
#include "ui/media_preview.h"

#include <QHash>
#include <QIcon>
#include <QList>
#include <QSet>
#include <QStringList>
#include <QWidget>

#include <functional>
#include <memory>

class QComboBox;
class QDragEnterEvent;
class QDragMoveEvent;
class QDropEvent;
class QLayout;
class QLabel;
class QLineEdit;
class QMenu;
class QMimeData;
class QModelIndex;
class QProgressBar;
class QTreeWidget;
class QTreeWidgetItem;

namespace tandem::ui {

// Drag data naming assets of the project: their ids as UTF-8 text "id1,id2".
inline constexpr char kAssetMimeType[] = "application/x-tandem-asset";
QMimeData* assetMimeData(const QList<timeline::Id>& assetIds); // the caller (usually a QDrag) owns it
QList<timeline::Id> assetIdsFromMime(const QMimeData* mime);   // empty when the data names no asset

class BinsPanel : public QWidget {
    Q_OBJECT
public:
    // Both `project` and `previews` must outlive the panel; `previews` is read again on refreshPreviews().
    BinsPanel(timeline::Project& project, const QHash<timeline::Id, MediaPreview>& previews,
              QWidget* parent = nullptr);
    ~BinsPanel() override;

    // Previews were rebuilt: forget cached icons and redraw the tree.
    void refreshPreviews();
    // Shows import progress under the tree ("done" files of "total"); total <= 0 hides it.
    void setImportProgress(int done, int total, const QString& currentName);

    QTreeWidget& tree() { return *tree_; }
    // The asset or bin an index's row shows; 0 when it shows the other kind (or nothing).
    static timeline::Id assetAt(const QModelIndex& index);
    static timeline::Id binAt(const QModelIndex& index);
    // The bin that a drop at `viewportPos` (tree viewport coordinates) goes into; 0 = top level.
    timeline::Id binUnder(const QPoint& viewportPos) const;
    QTreeWidgetItem* itemForAsset(timeline::Id assetId) const;
    QTreeWidgetItem* itemForBin(timeline::Id binId) const;
    QList<timeline::Id> selectedAssets() const;

    // Moves assets into a bin (0 = top level) as one undo step; says why in statusMessage when refused.
    bool moveAssets(const QList<timeline::Id>& assetIds, timeline::Id binId);
    // The context menu for an item (nullptr = empty space), as the tree shows it; exposed for tests.
    std::unique_ptr<QMenu> contextMenuFor(QTreeWidgetItem* item);

Q_SIGNALS:
    void filesDropped(const QStringList& paths, timeline::Id binId);
    void assetActivated(timeline::Id assetId);
    void useAsReference(timeline::Id assetId);
    void statusMessage(const QString& message);

protected:
    // Drops of files anywhere on the panel outside the tree go to the top level.
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    timeline::Project& project_;
    const QHash<timeline::Id, MediaPreview>& previews_;
    int listener_ = 0;
    QLineEdit* filter_ = nullptr;
    QComboBox* roleFilter_ = nullptr;
    QTreeWidget* tree_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    QHash<timeline::Id, QIcon> icons_; // per asset, until previews change
    QSet<timeline::Id> collapsedBins_; // bins start open; the creator's closing is remembered
    bool inItemChange_ = false;        // the tree is inside its own itemChanged: do not clear it now
    bool rebuildQueued_ = false;

    // What the tree last showed: when an edit leaves these lists shared (untouched), nothing needs redrawing.
    QList<timeline::Bin> seenBins_;
    QList<timeline::Asset> seenAssets_;
    QList<timeline::Take> seenTakes_;

    QWidget* buildFilterBar();
    void buildProgress(QLayout* layout);
    void buildTree();
    void connectTree();

    void onProjectChanged();
    bool binsOrAssetsChanged() const;
    void rebuild();
    void rebuildSoon();
    using ItemsById = QHash<timeline::Id, QTreeWidgetItem*>;
    void addBinItems(QTreeWidgetItem* parent, timeline::Id parentBinId, ItemsById& bins) const;
    void addAssetItems(const ItemsById& bins);
    QTreeWidgetItem* makeBinItem(const timeline::Bin& bin) const;
    QTreeWidgetItem* makeAssetItem(const timeline::Asset& asset, int takes);
    void restoreSelection(const QSet<timeline::Id>& assets, const QSet<timeline::Id>& bins);
    void applyFilter();
    bool passesFilter(timeline::Id assetId) const;
    bool filterItem(QTreeWidgetItem* item, bool filtering);

    QIcon iconFor(const timeline::Asset& asset);
    QIcon makeIcon(const timeline::Asset& asset) const;

    void onItemChanged(QTreeWidgetItem* item, int column);
    void renameFromItem(QTreeWidgetItem* item);
    void showContextMenu(const QPoint& viewportPos);
    void addAssetActions(QMenu& menu, timeline::Id assetId);
    void addRoleMenu(QMenu& menu, const QList<timeline::Id>& targets, timeline::ReferenceRole current);
    void addBinActions(QMenu& menu, timeline::Id binId);
    QList<timeline::Id> targetsFor(timeline::Id assetId) const;
    void setRole(const QList<timeline::Id>& assetIds, timeline::ReferenceRole role);
    void removeAssets(const QList<timeline::Id>& assetIds);
    void removeBin(timeline::Id binId);
    void addBin(timeline::Id parentBinId);
    void startRename(QTreeWidgetItem* item);
    bool report(const timeline::EditResult& result);
    timeline::EditResult eachAsset(const QString& text, const QList<timeline::Id>& assetIds,
                                   const std::function<timeline::EditResult(timeline::Id)>& request);

    QMimeData* dragData() const;
    void dropOnTree(QDropEvent* event);
};

} // namespace tandem::ui
