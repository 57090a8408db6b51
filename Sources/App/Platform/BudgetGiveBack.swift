import NIOConcurrencyHelpers
import Vapor

/// Gives back, every second, what this instance leased and left unspent for a second (so that
/// busy instances can spend it), and at shutdown all it holds.
final class BudgetGiveBack: LifecycleHandler, Sendable {
    let budgets: RequestBudgets
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(budgets: RequestBudgets) { self.budgets = budgets }

    func didBootAsync(_ application: Application) async throws {
        let budgets = self.budgets
        task.withLockedValue {
            $0 = Task.detached {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(1)) } catch { return }
                    await budgets.returnIdle()
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        task.withLockedValue { $0 }?.cancel()
        await budgets.returnIdle(for: .zero)
    }
}
