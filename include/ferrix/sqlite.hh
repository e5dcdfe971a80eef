// A thin RAII layer over sqlite3: a connection, statements prepared once and reused, and
// transactions that roll back unless committed. Every error names the database file, what was
// being done and SQLite's own message.
#pragma once

#include "ferrix/error.hh"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ferrix {

class SQLiteError : public StoreError {
public:
    int code;
    SQLiteError(int code, const std::string& msg) : StoreError(msg), code(code) {}
};

class SQLite {
public:
    // Opens (creating) the database with a generous busy timeout, so concurrent processes wait
    // for each other instead of failing.
    explicit SQLite(const std::string& path);
    ~SQLite();
    SQLite(const SQLite&) = delete;
    SQLite& operator=(const SQLite&) = delete;

    void exec(const std::string& sql);
    int64_t lastInsertRowId();
    // False in autocommit mode: no transaction is open, or SQLite ended one by itself (a failed
    // COMMIT rolls back on most errors).
    bool inTransaction();
    sqlite3* get() { return db; }
    const std::string& path() const { return path_; }
    // Throws SQLiteError with the connection's current error message.
    [[noreturn]] void fail(int rc, const std::string& doing);

private:
    sqlite3* db = nullptr;
    std::string path_;
};

class SQLiteStmt {
public:
    SQLiteStmt(SQLite& db, std::string sql);
    ~SQLiteStmt();
    SQLiteStmt(const SQLiteStmt&) = delete;
    SQLiteStmt& operator=(const SQLiteStmt&) = delete;

    // One execution: parameters bound in order, then exec() or iterate with next(). The
    // statement is reset when the Use ends.
    class Use {
    public:
        template <typename... Args> explicit Use(SQLiteStmt& s, const Args&... args) : Use(s) {
            ((*this)(args), ...);
        }
        explicit Use(SQLiteStmt& s);
        ~Use();
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;
        Use& operator()(std::string_view v);
        Use& operator()(const char* v) { return (*this)(std::string_view(v)); }
        Use& operator()(const std::string& v) { return (*this)(std::string_view(v)); }
        Use& operator()(int64_t v);
        Use& operator()(const std::optional<std::string>& v);
        // Runs a statement that returns no rows.
        void exec();
        // Steps once; true when a row is available.
        bool next();
        std::string getStr(int col);
        int64_t getInt(int col);
        bool isNull(int col);

    private:
        SQLiteStmt& s;
        int param = 1;
    };
    template <typename... Args> Use use(const Args&... args) { return Use(*this, args...); }

private:
    SQLite& db;
    sqlite3_stmt* stmt = nullptr;
    std::string sql;
    [[noreturn]] void fail(int rc);
};

// Write: BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads then writes
// can never fail half way with SQLITE_BUSY, and it serialises writers across connections and
// processes. Read: a plain BEGIN, so several look-ups share one snapshot and one acquisition of
// SQLite's read locks. Rolls back in the destructor unless committed.
class SQLiteTxn {
public:
    enum class Mode { Read, Write };
    explicit SQLiteTxn(SQLite& db, Mode mode = Mode::Write);
    ~SQLiteTxn();
    SQLiteTxn(const SQLiteTxn&) = delete;
    SQLiteTxn& operator=(const SQLiteTxn&) = delete;
    // On failure the transaction stays open (and is rolled back by the destructor) only if
    // SQLite left it open; see SQLite::inTransaction.
    void commit();

private:
    SQLite& db;
    bool active = false;
};

} // namespace ferrix
