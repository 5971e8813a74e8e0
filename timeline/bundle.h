// Design note: a project on disk is a folder NAME.tandem/:
//   project.json          the project (project_file.h), replaced atomically on every save
//   project.backup.json   the version before the last save
//   recovery.json         autosave of unsaved edits; newer than project.json means there is work to recover
//   media/ takes/ masks/  imported media, generated takes, rasterised masks sent to the engine
//   cache/                anything regenerable (thumbnails, waveforms); safe to delete
// When the folder cannot be written (read-only media, permissions, a full disk), autosave keeps the edits in
// the user's own data folder instead (fallbackRecoveryFile), and opening the project offers them from there.
// Opening never writes; a damaged or too-new project.json is refused with a message and left as it is.
#pragma once

#include "timeline/state.h"

#include <QDateTime>
#include <optional>

namespace tandem::timeline {

inline constexpr const char* kProjectFile = "project.json";
inline constexpr const char* kBackupFile = "project.backup.json";
inline constexpr const char* kRecoveryFile = "recovery.json";
inline constexpr const char* kDiscardedRecoveryFile = "recovery.discarded.json";

enum class BundleSource { Project, Recovery, Backup };

struct BundleStatus {
    bool exists = false;      // the folder holds a project.json
    bool recoverable = false; // a recovery file is newer than project.json and differs from it
    QDateTime savedAt, autosavedAt;
    QString recoveryFile;     // the newest recovery file (the bundle's, or the fallback), if any
};

// "Clip.tandem" for "Clip", "Clip.tandem" for "Clip.tandem".
QString bundlePathFor(const QString& path);
BundleStatus inspectBundle(const QString& bundleDir);

// Reads one of the bundle's project files. Also checks that every file the project names stays inside.
std::optional<ProjectState> loadBundle(const QString& bundleDir, BundleSource source, QString* error);

// Creates the folders if needed, keeps the previous project.json as the backup, writes the new one
// atomically and retires the recovery file it supersedes.
bool saveBundle(const QString& bundleDir, const ProjectState& state, QString* error);

// Autosave: the state as a recovery file; project.json is left alone. If the bundle cannot take it, the
// fallback file does, and `elsewhere` says why and where (the write still counts as done).
bool writeRecovery(const QString& bundleDir, const QByteArray& serializedState, QString* error,
                   QString* elsewhere = nullptr);
// Where a bundle's recovery file goes when the bundle cannot be written: the user's data folder, named
// after the bundle's absolute path.
QString fallbackRecoveryFile(const QString& bundleDir);

// Brings a media file into the bundle's media/ folder (a hard link when the file is on the same disk,
// else a copy, made under a temporary name and renamed, so a half-copied file never appears). Returns the
// bundle-relative path; a name already taken by another file gets a numbered variant.
QString adoptMediaFile(const QString& bundleDir, const QString& sourcePath, QString* error);

// Puts `source` at `target` as a hard link where the disk allows, else a copy, made under a temporary name
// and renamed so a half-copied file never shows.
bool linkOrCopyFile(const QString& source, const QString& target, QString* error);

// Save As: the files of one bundle (media/, takes/, masks/) linked or copied into another.
bool copyBundleFiles(const QString& fromBundle, const QString& toBundle, QString* error);

// The user chose not to recover: the recovery file is set aside (renamed), never deleted.
bool discardRecovery(const QString& bundleDir, QString* error);

} // namespace tandem::timeline
