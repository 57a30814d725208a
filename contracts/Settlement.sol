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
    event SolverChanged(address solver);
    event Withdrawn(address indexed token, uint256 amount, address to);

    error NotSolver();
    error AlreadyFilled(bytes32 intentId);
    error RenounceDisabled();

    /// @param owner_ May withdraw inventory and change the solver; given, not the deployer, so a
    /// deployment through a CREATE2 factory has the same owner (and address) on every chain.
    constructor(Executor executor_, address solver_, address owner_) Ownable(owner_) {
        executor = executor_;
        solver = solver_;
    }

    modifier onlySolver() {
        if (msg.sender != solver) revert NotSolver();
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
