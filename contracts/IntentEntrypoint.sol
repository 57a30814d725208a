// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @notice Gasless deposits (Trails "method B"): a relayer submits the user's ERC-2612
/// permit and their EIP-712 `TrailsIntent` signature; the entrypoint moves the deposit into
/// the intent's deposit address and the fee to the fee collector, both in the deposit token.
/// Everything that moves is fixed by the user's signature; the relayer only pays gas.
contract IntentEntrypoint is EIP712, Nonces {
    using SafeERC20 for IERC20;

    bytes32 public constant TRAILS_INTENT_TYPEHASH = keccak256(
        "TrailsIntent(address user,address token,uint256 amount,address intentAddress,uint256 deadline,uint256 chainId,uint256 nonce,uint256 feeAmount,address feeCollector)"
    );

    struct TrailsIntent {
        address user;
        address token;
        uint256 amount;
        address intentAddress;
        uint256 deadline;
        uint256 chainId;
        uint256 nonce;
        uint256 feeAmount;
        address feeCollector;
    }

    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    event IntentDeposit(
        address indexed user, address indexed intentAddress, address token, uint256 amount, uint256 feeAmount, uint256 nonce
    );

    error Expired(uint256 deadline);
    error WrongChain(uint256 chainId);
    error BadSignature();

    constructor() EIP712("TrailsIntentEntrypoint", "1") {}

    function hashIntent(TrailsIntent calldata intent) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TRAILS_INTENT_TYPEHASH, intent)));
    }

    /// @notice Applies `permit` (if any), then pulls `amount` into the deposit address and
    /// `feeAmount` to the fee collector. A permit that fails is tolerated when the allowance
    /// is already in place, so a front-run permit cannot block the deposit.
    function depositWithPermit(TrailsIntent calldata intent, bytes calldata signature, Permit calldata permit)
        external
    {
        if (block.timestamp > intent.deadline) revert Expired(intent.deadline);
        if (intent.chainId != block.chainid) revert WrongChain(intent.chainId);
        if (!SignatureChecker.isValidSignatureNow(intent.user, hashIntent(intent), signature)) revert BadSignature();
        _useCheckedNonce(intent.user, intent.nonce);

        if (permit.deadline != 0) {
            try IERC20Permit(intent.token).permit(
                intent.user, address(this), permit.value, permit.deadline, permit.v, permit.r, permit.s
            ) {} catch {}
        }
        IERC20 token = IERC20(intent.token);
        token.safeTransferFrom(intent.user, intent.intentAddress, intent.amount);
        if (intent.feeAmount > 0) token.safeTransferFrom(intent.user, intent.feeCollector, intent.feeAmount);
        emit IntentDeposit(intent.user, intent.intentAddress, intent.token, intent.amount, intent.feeAmount, intent.nonce);
    }
}
