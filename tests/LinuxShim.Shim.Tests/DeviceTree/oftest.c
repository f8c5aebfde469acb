// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test module for the shim's device tree (tests only, written here), built with CONFIG_OF=y against each
 * kernel: at init it reads OpenFirmwareTests.Board (loaded by the host from oftest.dtb) through the calls and
 * inline helpers stmmac-platform, of_mdio, fwnode_mdio and phylink use, including those that call through
 * fwnode->ops (of_fwnode_ops in the driver image), and prints one "oftest: PASS name" or "oftest: FAIL name"
 * line per check.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/of.h>
#include <linux/of_net.h>
#include <linux/phy.h>
#include <linux/property.h>
#include <linux/mod_devicetable.h>

static int failures;

#define CHECK(name, cond)							\
	do {									\
		if (cond) {							\
			pr_info("oftest: PASS %s\n", name);			\
		} else {							\
			failures++;						\
			pr_err("oftest: FAIL %s (%s)\n", name, #cond);		\
		}								\
	} while (0)

static const struct of_device_id oftest_match[] = {
	{ .compatible = "snps,dwmac", .data = (void *)1 },
	{ .compatible = "vendor,soc-gmac", .data = (void *)2 },
	{ .name = "mdio", .data = (void *)3 },
	{}
};

static int __init oftest_init(void)
{
	struct device_node *gmac = of_find_node_by_path("/soc/ethernet@1000");
	struct device_node *other = of_find_node_by_path("/soc/ethernet@2000");
	struct device_node *mdio = NULL, *child, *phy;
	struct fwnode_handle *fw, *ref;
	const struct of_device_id *match;
	phy_interface_t mode;
	const char *s = NULL;
	u8 bytes[3], mac[6];
	u16 halves[2];
	u32 v = 0, words[3], regs[4];
	u64 quads[2];
	int n;

	CHECK("find_node_by_path", gmac && other && of_find_node_by_path("ethernet0") == gmac);
	if (!gmac || !other)
		return -ENODEV;
	fw = of_fwnode_handle(gmac);
	CHECK("is_of_node", is_of_node(fw) && to_of_node(fw) == gmac && fw->ops == &of_fwnode_ops);

	/* stmmac_probe_config_dt() */
	CHECK("of_get_phy_mode", of_get_phy_mode(gmac, &mode) == 0 && mode == PHY_INTERFACE_MODE_RGMII_ID);
	CHECK("of_get_phy_mode_connection_type", of_get_phy_mode(other, &mode) == 0 && mode == PHY_INTERFACE_MODE_RMII);
	CHECK("of_get_phy_mode_none", of_get_phy_mode(of_find_node_by_path("/soc"), &mode) == -EINVAL && mode == PHY_INTERFACE_MODE_NA);
	CHECK("of_property_read_u32", of_property_read_u32(gmac, "max-speed", &v) == 0 && v == 1000);
	CHECK("of_property_read_u32_missing", of_property_read_u32(gmac, "tx-fifo-depth", &v) == -EINVAL && v == 1000);
	CHECK("of_property_read_bool", of_property_read_bool(gmac, "snps,force_sf_dma_mode") && !of_property_read_bool(gmac, "snps,no-pbl-x8"));
	CHECK("of_alias_get_id", of_alias_get_id(gmac, "ethernet") == 0 && of_alias_get_id(other, "ethernet") == 3);
	CHECK("of_get_mac_address", of_get_mac_address(gmac, mac) == 0 && mac[0] == 0x02 && mac[5] == 0x55);
	CHECK("of_device_is_compatible", of_device_is_compatible(gmac, "snps,dwmac") && !of_device_is_compatible(gmac, "st,spear600-gmac"));
	phy = of_parse_phandle(gmac, "phy-handle", 0);
	CHECK("of_parse_phandle", phy && !strcmp(phy->full_name, "ethernet-phy@1"));
	for_each_child_of_node(gmac, mdio)
		if (of_device_is_compatible(mdio, "snps,dwmac-mdio"))
			break;
	CHECK("mdio_node", mdio && of_node_name_eq(mdio, "mdio"));
	match = of_match_node(oftest_match, gmac);
	CHECK("of_match_node", match && match->data == (void *)2);
	match = of_match_node(oftest_match, mdio);
	CHECK("of_match_node_name", match && match->data == (void *)3);

	/* of_mdiobus_register(): the available children and their "reg". */
	n = 0;
	for_each_available_child_of_node(mdio, child)
		if (n < 4 && of_property_read_u32(child, "reg", &regs[n]) == 0)
			n++;
	CHECK("for_each_available_child_of_node", n == 2 && regs[0] == 1 && regs[1] == 5);
	n = 0;
	for_each_child_of_node(mdio, child)
		n++;
	CHECK("for_each_child_of_node", n == 3);
	CHECK("of_device_is_available", !of_device_is_available(other) && of_device_is_available(phy));

	/* Arrays of each width and strings, through the inline helpers. */
	CHECK("of_property_read_u8_array", of_property_read_u8_array(gmac, "bytes", bytes, 3) == 0 && bytes[2] == 0xff);
	CHECK("of_property_read_u16_array", of_property_read_u16_array(gmac, "halves", halves, 2) == 0 && halves[1] == 0xabcd);
	CHECK("of_property_read_u32_array", of_property_read_u32_array(gmac, "words", words, 3) == 0 && words[0] == 0xdeadbeef);
	CHECK("of_property_read_u32_array_short", of_property_read_u32_array(gmac, "words", words, 4) == -EOVERFLOW);
	CHECK("of_property_read_u64_array", of_property_read_u64_array(gmac, "quads", quads, 2) == 0 && quads[0] == 0x0123456789abcdefULL);
	CHECK("of_property_count_u32_elems", of_property_count_u32_elems(gmac, "words") == 3);
	CHECK("of_property_count_strings", of_property_count_strings(gmac, "clock-names") == 3);
	CHECK("of_property_read_string_index", of_property_read_string_index(gmac, "clock-names", 1, &s) == 0 && !strcmp(s, "pclk"));
	CHECK("of_property_match_string", of_property_match_string(gmac, "clock-names", "ptp_ref") == 2);
	CHECK("of_property_read_string_bad", of_property_read_string(gmac, "unterminated", &s) == -EILSEQ);

	/* fwnode: the exported calls and the ones that go through fwnode->ops. */
	CHECK("fwnode_property_read_u32", fwnode_property_read_u32(fw, "max-speed", &v) == 0 && v == 1000);
	CHECK("fwnode_property_present", fwnode_property_present(fw, "snps,force_sf_dma_mode") && !fwnode_property_present(fw, "managed"));
	CHECK("fwnode_property_read_string", fwnode_property_read_string(fw, "phy-mode", &s) == 0 && !strcmp(s, "rgmii-id"));
	CHECK("fwnode_get_phy_mode", fwnode_get_phy_mode(fw) == PHY_INTERFACE_MODE_RGMII_ID);
	CHECK("fwnode_property_match_string", fwnode_property_match_string(fw, "compatible", "snps,dwmac-3.70a") == 1
	      && fwnode_property_match_string(fw, "compatible", "x") == -ENODATA);
	ref = fwnode_find_reference(fw, "phy-handle", 0);
	CHECK("fwnode_find_reference", !IS_ERR(ref) && ref == of_fwnode_handle(phy));
	CHECK("fwnode_find_reference_missing", PTR_ERR(fwnode_find_reference(fw, "phy", 0)) == -ENOENT);
	CHECK("fwnode_get_named_child_node", fwnode_get_named_child_node(fw, "mdio") == of_fwnode_handle(mdio)
	      && !fwnode_get_named_child_node(fw, "fixed-link"));
	CHECK("fwnode_handle_get", fwnode_handle_get(fw) == fw);
	fwnode_handle_put(fw);
	CHECK("ops_property_present", fw->ops->property_present(fw, "snps,force_sf_dma_mode") && !fw->ops->property_present(fw, "x"));
	CHECK("ops_read_int_array", fw->ops->property_read_int_array(fw, "words", sizeof(u32), NULL, 0) == 3
	      && fw->ops->property_read_int_array(fw, "halves", sizeof(u16), halves, 1) == 0 && halves[0] == 0x1234);
	CHECK("ops_get_name", !strcmp(fw->ops->get_name(fw), "ethernet@1000") && !strcmp(fw->ops->get_name_prefix(fw), "/"));
	CHECK("ops_get_parent", fw->ops->get_parent(fw) == of_fwnode_handle(of_find_node_by_path("/soc")));
	CHECK("ops_device_is_available", fw->ops->device_is_available(fw) && !fwnode_device_is_available(of_fwnode_handle(other)));
	CHECK("fwnode_irq_get", fwnode_irq_get(of_fwnode_handle(phy), 0) < 0);

	pr_info("oftest: done %d failures\n", failures);
	return 0;
}

static void __exit oftest_exit(void)
{
}

module_init(oftest_init);
module_exit(oftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LinuxShim device-tree test module");
