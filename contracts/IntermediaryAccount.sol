// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice A user's account on an EVM chain, owned by an origin identity that may live on
/// another chain (an EVM address, a NEAR account, a Solana key). Only its factory may make
/// it act, and the factory only on behalf of the executor key, which signs nothing the
/// user has not authorised off-chain.
contract IntermediaryAccount {
    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    /// @dev Immutable in the implementation's code, so every clone sees the same factory.
    address public immutable factory;

    error NotFactory();
    error CallFailed(uint256 index, bytes reason);

    constructor() {
        factory = msg.sender;
    }

    /// @notice Runs the calls in order; any revert undoes the whole batch.
    function execute(Call[] calldata calls) external payable {
        if (msg.sender != factory) revert NotFactory();
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool ok, bytes memory reason) = calls[i].to.call{value: calls[i].value}(calls[i].data);
            if (!ok) revert CallFailed(i, reason);
        }
    }

    receive() external payable {}
}
