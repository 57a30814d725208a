// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Devnet demo: an ERC-4626 vault over the chain's USDC, a target for destination
/// calls and intermediary steps (deposit for a receiver, withdraw to anyone).
contract DemoVault is ERC4626 {
    constructor(IERC20 asset_) ERC20("Junction Demo Vault", "jvUSDC") ERC4626(asset_) {}
}
