// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Executor} from "./Executor.sol";

/// @notice Holds the solver's inventory on one chain and pays intents out of it. Each
/// intent can be filled once: the fill is recorded on-chain, so a second fill reverts
/// whatever the off-chain database believes.
contract Settlement is Ownable {
    using SafeERC20 for IERC20;

    Executor public immutable executor;
    address public solver;
    mapping(bytes32 intentId => bool) public filled;

    /// @param recipient who was paid; for a fill with a call, the fallback recipient, who holds
    /// everything when `callSucceeded` is false and any leftovers otherwise (the Executor's
    /// CallExecuted event names the target).
    event Filled(
        bytes32 indexed intentId, address indexed token, uint256 amount, address indexed recipient, bool callSucceeded
    );
    /// @notice An order of a batch that was not paid, while the others were: `alreadyFilled`, or
    /// its payment failed (nothing of it moved and the intent stays unfilled).
    event FillSkipped(bytes32 indexed intentId, bool alreadyFilled);
    event SolverChanged(address solver);
    event Withdrawn(address indexed token, uint256 amount, address to);

    /// @notice A plain fill in a batch: `amount` of `token` to `recipient`.
    struct Fill {
        bytes32 intentId;
        address token;
        uint256 amount;
        address recipient;
    }

    /// @notice A fill with a destination call in a batch, as `fillWithCall` takes it, and `gas`:
    /// the most it may use (what it would be given alone), so a call that burns whatever gas it
    /// gets cannot spend the others' share of the batch.
    struct CallFill {
        bytes32 intentId;
        address token;
        uint256 amount;
        address fallbackRecipient;
        address target;
        bytes data;
        uint256 amountOffset;
        uint256 gas;
    }

    error NotSolver();
    error OutOfGas();
    error AlreadyFilled(bytes32 intentId);
    error RenounceDisabled();

    /// @param owner_ May withdraw inventory and change the solver; given, not the deployer, so a
    /// deployment through a CREATE2 factory has the same owner (and address) on every chain.
    constructor(Executor executor_, address solver_, address owner_) Ownable(owner_) {
        executor = executor_;
        solver = solver_;
    }

    /// @dev Settlement itself too: `fillBatch` makes each fill with a call a call of its own. It
    /// never calls itself otherwise (its only other outgoing calls are token transfers and empty
    /// native transfers), so no one else's data can reach a fill this way.
    modifier onlySolver() {
        if (msg.sender != solver && msg.sender != address(this)) revert NotSolver();
        _;
    }

    /// @notice Pays `amount` of `token` (address(0): native coin) to `recipient`.
    function fill(bytes32 intentId, address token, uint256 amount, address recipient) external onlySolver {
        _record(intentId);
        _pay(token, amount, recipient);
        emit Filled(intentId, token, amount, recipient, true);
    }

    /// @notice Hands `amount` to the Executor, which calls `target` with `data` (the amount
    /// injected at `amountOffset` when the placeholder stands there). If the call reverts the
    /// tokens reach `fallbackRecipient`, so the fill itself never fails because of the call.
    function fillWithCall(
        bytes32 intentId,
        address token,
        uint256 amount,
        address fallbackRecipient,
        address target,
        bytes calldata data,
        uint256 amountOffset
    ) external onlySolver {
        _record(intentId);
        bool ok;
        if (token == address(0)) {
            ok = executor.execute{value: amount}(token, amount, target, data, amountOffset, fallbackRecipient);
        } else {
            IERC20(token).safeTransfer(address(executor), amount);
            ok = executor.execute(token, amount, target, data, amountOffset, fallbackRecipient);
        }
        emit Filled(intentId, token, amount, fallbackRecipient, ok);
    }

    /// @notice Fills many intents in one transaction. Each is still guarded by its own
    /// `filled[intentId]`, and one that cannot be paid (already filled, a payment that fails) is
    /// skipped with `FillSkipped` without reverting the others. Plain fills and fills with a call
    /// come in two lists so a plain one carries no call fields. A plain native-coin payment
    /// forwards all the gas left to its recipient, which may be a contract: Junction's engine
    /// sends those alone.
    function fillBatch(Fill[] calldata fills, CallFill[] calldata callFills) external onlySolver {
        for (uint256 i; i < fills.length; ++i) {
            Fill calldata f = fills[i];
            if (_skipFilled(f.intentId)) continue;
            filled[f.intentId] = true;
            uint256 gasBefore = gasleft();
            if (_tryPay(f.token, f.amount, f.recipient)) {
                emit Filled(f.intentId, f.token, f.amount, f.recipient, true);
            } else {
                _revertIfOutOfGas(gasBefore);
                filled[f.intentId] = false;
                emit FillSkipped(f.intentId, false);
            }
        }
        for (uint256 i; i < callFills.length; ++i) {
            CallFill calldata c = callFills[i];
            if (_skipFilled(c.intentId)) continue;
            // A call of its own, so a failure undoes the record and the hand-over to the Executor;
            // held to its own gas. Running out of that is its own failure (skipped); running out of
            // the transaction's gas is the batch's (reverted, see `_revertIfOutOfGas`).
            uint256 gasBefore = gasleft();
            try this.fillWithCall{gas: c.gas}(
                c.intentId, c.token, c.amount, c.fallbackRecipient, c.target, c.data, c.amountOffset
            ) {}
            catch {
                _revertIfOutOfGas(gasBefore);
                emit FillSkipped(c.intentId, false);
            }
        }
    }

    function setSolver(address solver_) external onlyOwner {
        solver = solver_;
        emit SolverChanged(solver_);
    }

    /// @dev Renouncing would lock the inventory in forever.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function withdraw(address token, uint256 amount, address to) external onlyOwner {
        _pay(token, amount, to);
        emit Withdrawn(token, amount, to);
    }

    function _record(bytes32 intentId) private {
        if (filled[intentId]) revert AlreadyFilled(intentId);
        filled[intentId] = true;
    }

    /// @dev A payment that failed for want of gas says nothing about the order: the whole batch
    /// reverts instead of skipping it. Otherwise a gas estimate (the least gas with which the
    /// transaction succeeds) would settle on an amount that skips a payable order. A call that ran
    /// out leaves the caller the 1/64 it kept plus at most 1/64 per level of calls below it; a
    /// failure for any other reason leaves most of the gas.
    function _revertIfOutOfGas(uint256 gasBefore) private view {
        if (gasleft() < gasBefore / 16) revert OutOfGas();
    }

        function _skipFilled(bytes32 intentId) private returns (bool) {
        if (!filled[intentId]) return false;
        emit FillSkipped(intentId, true);
        return true;
    }

    /// @dev `_pay` that reports a failure instead of reverting. The native transfer copies no
    /// return data, so a hostile recipient cannot make it costly with a huge payload.
    function _tryPay(address token, uint256 amount, address to) private returns (bool ok) {
        if (token != address(0)) return IERC20(token).trySafeTransfer(to, amount);
        assembly {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
    }

    function _pay(address token, uint256 amount, address to) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            require(ok, "native transfer failed");
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @notice Native-coin inventory and deposit sweeps arrive here.
    receive() external payable {}
}
