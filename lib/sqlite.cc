#include "ferrix/sqlite.hh"

#include <sqlite3.h>

namespace ferrix {

SQLite::SQLite(const std::string& path) : path_(path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        db = nullptr;
        throw SQLiteError(rc, "cannot open database '" + path + "': " + msg);
    }
    sqlite3_extended_result_codes(db, 1);
    // Another process may hold the write lock for a while (a large registration or gc).
    if ((rc = sqlite3_busy_timeout(db, 10 * 60 * 1000)) != SQLITE_OK)
        fail(rc, "setting the busy timeout");
}

SQLite::~SQLite() {
    if (db) sqlite3_close_v2(db);
}

void SQLite::fail(int rc, const std::string& doing) {
    throw SQLiteError(rc, "database '" + path_ + "': error " + doing + ": " + sqlite3_errmsg(db) +
                              " (code " + std::to_string(rc) + ")");
}

void SQLite::exec(const std::string& sql) {
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "executing '" + sql + "'");
}

int64_t SQLite::lastInsertRowId() {
    return sqlite3_last_insert_rowid(db);
}

bool SQLite::inTransaction() {
    return sqlite3_get_autocommit(db) == 0;
}

SQLiteStmt::SQLiteStmt(SQLite& db, std::string sql_) : db(db), sql(std::move(sql_)) {
    int rc =
        sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) db.fail(rc, "preparing '" + sql + "'");
}

SQLiteStmt::~SQLiteStmt() {
    sqlite3_finalize(stmt);
}

void SQLiteStmt::fail(int rc) {
    db.fail(rc, "running '" + sql + "'");
}

SQLiteStmt::Use::Use(SQLiteStmt& s) : s(s) {
    sqlite3_reset(s.stmt);
    sqlite3_clear_bindings(s.stmt);
}

SQLiteStmt::Use::~Use() {
    sqlite3_reset(s.stmt);
}

SQLiteStmt::Use& SQLiteStmt::Use::operator()(std::string_view v) {
    int rc =
        sqlite3_bind_text64(s.stmt, param++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) s.fail(rc);
    return *this;
}

SQLiteStmt::Use& SQLiteStmt::Use::operator()(int64_t v) {
    int rc = sqlite3_bind_int64(s.stmt, param++, v);
    if (rc != SQLITE_OK) s.fail(rc);
    return *this;
}

SQLiteStmt::Use& SQLiteStmt::Use::operator()(const std::optional<std::string>& v) {
    if (v) return (*this)(std::string_view(*v));
    int rc = sqlite3_bind_null(s.stmt, param++);
    if (rc != SQLITE_OK) s.fail(rc);
    return *this;
}

void SQLiteStmt::Use::exec() {
    int rc = sqlite3_step(s.stmt);
    if (rc != SQLITE_DONE) s.fail(rc);
}

bool SQLiteStmt::Use::next() {
    int rc = sqlite3_step(s.stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    s.fail(rc);
}

std::string SQLiteStmt::Use::getStr(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(s.stmt, col))) : std::string();
}

int64_t SQLiteStmt::Use::getInt(int col) {
    return sqlite3_column_int64(s.stmt, col);
}

bool SQLiteStmt::Use::isNull(int col) {
    return sqlite3_column_type(s.stmt, col) == SQLITE_NULL;
}

SQLiteTxn::SQLiteTxn(SQLite& db, Mode mode) : db(db) {
    db.exec(mode == Mode::Write ? "begin immediate" : "begin");
    active = true;
}

void SQLiteTxn::commit() {
    try {
        db.exec("commit");
    } catch (...) {
        active = db.inTransaction();
        throw;
    }
    active = false;
}

SQLiteTxn::~SQLiteTxn() {
    if (!active) return;
    // Nothing sensible to do if rollback fails inside a destructor; the connection will roll
    // back anyway when closed.
    sqlite3_exec(db.get(), "rollback", nullptr, nullptr, nullptr);
}

} // namespace ferrix
