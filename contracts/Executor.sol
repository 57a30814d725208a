// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Runs one destination call with tokens Settlement has just handed over, in the
/// same transaction. Stateless: it approves exactly the delivered amount, calls the
/// target, revokes the approval and sends whatever is left (everything, when the call
/// reverts) to the fallback recipient. It holds nothing between transactions, so calling
/// it directly can only move what the caller itself sent in.
contract Executor {
    using SafeERC20 for IERC20;

    /// @dev The 32-byte word a caller puts where the delivered amount belongs.
    bytes32 public constant AMOUNT_PLACEHOLDER = 0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef;
    /// @dev `amountOffset` value meaning "no placeholder".
    uint256 public constant NO_OFFSET = type(uint256).max;

    error OutOfGas();

    event CallExecuted(address indexed target, address indexed token, uint256 amount, bool success);

    /// @param token address(0) for the native coin, which is then sent as the call's value.
    /// @return success whether the target call succeeded.
    function execute(
        address token,
        uint256 amount,
        address target,
        bytes memory data,
        uint256 amountOffset,
        address fallbackRecipient
    ) external payable returns (bool success) {
        _injectAmount(data, amountOffset, amount);
        if (token == address(0)) {
            success = _call(target, amount, data);
        } else {
            IERC20(token).forceApprove(target, amount);
            success = _call(target, 0, data);
            IERC20(token).forceApprove(target, 0);
            uint256 left = IERC20(token).balanceOf(address(this));
            if (left > 0) IERC20(token).safeTransfer(fallbackRecipient, left);
        }
        uint256 nativeLeft = address(this).balance;
        if (nativeLeft > 0) {
            (bool sent,) = fallbackRecipient.call{value: nativeLeft}("");
            require(sent, "fallback rejected native coin");
        }
        emit CallExecuted(target, token, amount, success);
    }

    function _injectAmount(bytes memory data, uint256 offset, uint256 amount) private pure {
        if (offset == NO_OFFSET || offset > data.length || data.length - offset < 32) return;
        bytes32 word;
        assembly {
            word := mload(add(add(data, 32), offset))
        }
        if (word != AMOUNT_PLACEHOLDER) return;
        assembly {
            mstore(add(add(data, 32), offset), amount)
        }
    }

    /// @dev Ignores return data so a hostile target cannot grief with a huge revert payload. A call
    /// that ran out of gas reverts the whole fill instead of failing: otherwise a gas estimate (the
    /// least gas with which the transaction succeeds) would settle on an amount that starves the
    /// call, and the tokens would go to the fallback recipient. A call that ran out leaves this
    /// frame the 1/64 it kept (plus at most 1/64 per level below); any other failure, most of it.
    function _call(address target, uint256 value, bytes memory data) private returns (bool ok) {
        uint256 gasBefore = gasleft();
        assembly {
            ok := call(gas(), target, value, add(data, 32), mload(data), 0, 0)
        }
        if (!ok && gasleft() < gasBefore / 16) revert OutOfGas();
    }

    receive() external payable {}
}
