import KagibagSQL
import Foundation
import Vapor

/// At shutdown: closes the read-only connections and the writer, and removes a throwaway (`:memory:`) database
/// with its WAL files. Unlinking a file that Fluent's connections still hold is safe on POSIX.
struct SQLiteFiles: LifecycleHandler {
    let path: String
    let throwaway: Bool
    let reader: SQLiteReader?
    let writer: SQLiteWriter?

    func shutdownAsync(_ application: Application) async {
        reader?.close()
        await writer?.close()
        guard throwaway else { return }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
