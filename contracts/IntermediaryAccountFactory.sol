// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IntermediaryAccount} from "./IntermediaryAccount.sol";

/// @notice One IntermediaryAccount per origin identity, at a CREATE2 address known before
/// it exists (funds may arrive first). `identity` = keccak256(walletType, walletId),
/// computed off-chain. The account is deployed on its first batch.
contract IntermediaryAccountFactory is Ownable {
    IntermediaryAccount public immutable implementation;
    address public executor;

    event AccountCreated(bytes32 indexed identity, address account);
    event Executed(bytes32 indexed identity, address indexed account, uint256 calls);
    event ExecutorChanged(address executor);

    error NotExecutor();
    error RenounceDisabled();

    /// @param owner_ May change the executor; given, not the deployer (see Settlement).
    constructor(address executor_, address owner_) Ownable(owner_) {
        implementation = new IntermediaryAccount();
        executor = executor_;
    }

    function accountOf(bytes32 identity) public view returns (address) {
        return Clones.predictDeterministicAddress(address(implementation), identity);
    }

    /// @notice Deploys the identity's account if needed and runs `calls` from it.
    function execute(bytes32 identity, IntermediaryAccount.Call[] calldata calls) external payable {
        if (msg.sender != executor) revert NotExecutor();
        address account = accountOf(identity);
        if (account.code.length == 0) {
            Clones.cloneDeterministic(address(implementation), identity);
            emit AccountCreated(identity, account);
        }
        IntermediaryAccount(payable(account)).execute{value: msg.value}(calls);
        emit Executed(identity, account, calls.length);
    }

    /// @dev Without an owner the executor key could never be rotated.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function setExecutor(address executor_) external onlyOwner {
        executor = executor_;
        emit ExecutorChanged(executor_);
    }
}
