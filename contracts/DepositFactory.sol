// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Per-intent deposit addresses. Each address is the CREATE2 address of a
/// `DepositSweeper` whose salt commits to (intentId, owner, token). The sweeper has no
/// runtime code: its constructor moves the funds and self-destructs in the same
/// transaction (EIP-6780), so the address holds nothing afterwards and can be used again.
/// Funds can only go to this chain's Settlement (sweep) or back to the committed owner
/// (refund); the operator chooses when, never where.
contract DepositFactory {
    address public immutable settlement;
    address public immutable operator;

    /// @dev Parameters the sweeper reads back from its constructor; transient so that
    /// they never outlive the transaction and do not enter the CREATE2 init code.
    address private transient _asset;
    address private transient _to;
    address private transient _owner;
    uint256 private transient _amount;
    bool private transient _all;

    bytes32 public constant SWEEPER_CODE_HASH = keccak256(type(DepositSweeper).creationCode);

    event Swept(bytes32 indexed intentId, address indexed depositAddress, address token, uint256 amount);
    event Refunded(bytes32 indexed intentId, address indexed depositAddress, address asset, address owner);

    /// @notice A sweep of a batch that could not be made (the deposit holds less than `amount`),
    /// while the others were.
    event SweepSkipped(bytes32 indexed intentId);

    /// @notice One deposit address's sweep in a batch, as `sweep` takes it.
    struct Sweep {
        bytes32 intentId;
        address owner;
        address token;
        uint256 amount;
    }

        error NotOperator();
    error OutOfGas();
    error ZeroAddress();
    error ZeroAmount();

    constructor(address settlement_, address operator_) {
        if (settlement_ == address(0) || operator_ == address(0)) revert ZeroAddress();
        settlement = settlement_;
        operator = operator_;
    }

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator();
        _;
    }

    function salt(bytes32 intentId, address owner, address token) public pure returns (bytes32) {
        return keccak256(abi.encode(intentId, owner, token));
    }

    function depositAddress(bytes32 intentId, address owner, address token) public view returns (address) {
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt(intentId, owner, token), SWEEPER_CODE_HASH));
        return address(uint160(uint256(h)));
    }

    /// @notice Moves exactly `amount` of `token` (address(0): native coin) into Settlement and
    /// anything above it, plus any stray native coin, back to the owner. Reverts when the
    /// deposit holds less than `amount`.
    function sweep(bytes32 intentId, address owner, address token, uint256 amount) external onlyOperator {
        if (amount == 0) revert ZeroAmount();
        address at = _run(intentId, owner, token, token, settlement, amount, false);
        emit Swept(intentId, at, token, amount);
    }

    /// @notice Sweeps many deposit addresses in one transaction; one that cannot be swept is
    /// skipped with `SweepSkipped` without reverting the others.
    function sweepBatch(Sweep[] calldata sweeps) external onlyOperator {
        for (uint256 i; i < sweeps.length; ++i) {
            Sweep calldata w = sweeps[i];
            if (w.amount == 0) revert ZeroAmount();
            (_asset, _to, _owner, _amount, _all) = (w.token, settlement, w.owner, w.amount, false);
            uint256 gasBefore = gasleft();
            try new DepositSweeper{salt: salt(w.intentId, w.owner, w.token)}() returns (DepositSweeper at) {
                emit Swept(w.intentId, address(at), w.token, w.amount);
            } catch {
                // Out of gas says nothing about the deposit (see Settlement's fillBatch): revert
                // the batch rather than skip it, or a gas estimate would settle on skipping.
                if (gasleft() < gasBefore / 16) revert OutOfGas();
                emit SweepSkipped(w.intentId);
            }
        }
        (_asset, _to, _owner, _amount, _all) = (address(0), address(0), address(0), 0, false);
    }

        /// @notice Returns everything of `asset` (and all native coin) held at the intent's
    /// deposit address to its committed owner. `asset` may differ from the intent's token
    /// (a deposit in the wrong token).
    function refund(bytes32 intentId, address owner, address token, address asset) external onlyOperator {
        address at = _run(intentId, owner, token, asset, owner, 0, true);
        emit Refunded(intentId, at, asset, owner);
    }

    /// @dev `all` true: move the whole balance to `to` (a refund); false: exactly `amount`.
    function pending() external view returns (address asset, address to, address owner, uint256 amount, bool all) {
        return (_asset, _to, _owner, _amount, _all);
    }

    function _run(
        bytes32 intentId,
        address owner,
        address token,
        address asset,
        address to,
        uint256 amount,
        bool all
    ) private returns (address at) {
        (_asset, _to, _owner, _amount, _all) = (asset, to, owner, amount, all);
        at = address(new DepositSweeper{salt: salt(intentId, owner, token)}());
        (_asset, _to, _owner, _amount, _all) = (address(0), address(0), address(0), 0, false);
    }
}

/// @notice Lives for one constructor call: moves the deposit as its factory says, then
/// self-destructs so the address can be swept again later.
contract DepositSweeper {
    using SafeERC20 for IERC20;

    error InsufficientDeposit(uint256 balance, uint256 required);

    constructor() {
        (address asset, address to, address owner, uint256 amount, bool all) = DepositFactory(msg.sender).pending();
        uint256 balance = asset == address(0) ? address(this).balance : IERC20(asset).balanceOf(address(this));
        if (!all && balance < amount) revert InsufficientDeposit(balance, amount);
        uint256 moved = all ? balance : amount;
        if (asset == address(0)) {
            // Native coin: the self-destruct below pays `to` when nothing is left for the owner.
            if (moved != balance) _sendNative(to, moved);
            selfdestruct(payable(moved == balance ? to : owner));
        } else {
            if (moved > 0) IERC20(asset).safeTransfer(to, moved);
            if (balance > moved) IERC20(asset).safeTransfer(owner, balance - moved);
            // Stray native coin always goes back to the owner; selfdestruct cannot be refused.
            selfdestruct(payable(owner));
        }
    }

    function _sendNative(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        require(ok);
    }
}
