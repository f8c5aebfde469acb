// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test module for the LinuxShim driver host (tests only, written here). It exercises every
 * subsystem the shim implements, from process, timer, workqueue, tasklet, kthread and interrupt
 * context at once, and prints one "shimtest: PASS name" or "shimtest: FAIL name" line per check.
 * With mode=1 it calls a kernel symbol the shim does not implement.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/dma-mapping.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/jiffies.h>
#include <linux/crc32.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/cc_platform.h>
#include <linux/if_arp.h>
#include <linux/bitops.h>
#include <linux/inetdevice.h>
#include <linux/sysfs.h>
#include <linux/netlink.h>
#include <linux/platform_device.h>
#include <net/net_namespace.h>

static int mode;
module_param(mode, int, 0444);
static int weights[4] = { 1, 1, 1, 1 };
static int nweights;
module_param_array(weights, int, &nweights, 0444);

static int failures;

#define CHECK(name, cond)							\
	do {									\
		if (cond) {							\
			pr_info("shimtest: PASS %s\n", name);			\
		} else {							\
			failures++;						\
			pr_err("shimtest: FAIL %s (%s)\n", name, #cond);	\
		}								\
	} while (0)

#define ROUNDS 200

static DEFINE_SPINLOCK(shared_lock);
static DEFINE_MUTEX(shared_mutex);
static unsigned long shared_counter;
static DECLARE_WAIT_QUEUE_HEAD(waitq);
static bool wait_flag;

static struct timer_list timer;
static int timer_runs;
static bool timer_in_softirq;
static struct completion timer_done;

static struct work_struct work;
static struct delayed_work dwork;
static struct completion work_done, dwork_done;
static bool work_could_sleep;

static struct tasklet_struct tasklet;
static int tasklet_runs;

static int irq_count;
static bool irq_in_hardirq;
static struct completion irq_done;
static void __iomem *regs;

static void add_shared(unsigned long n)
{
	unsigned long flags;

	spin_lock_irqsave(&shared_lock, flags);
	shared_counter += n;
	spin_unlock_irqrestore(&shared_lock, flags);
}

static void timer_fn(struct timer_list *t)
{
	timer_in_softirq = in_softirq() && !in_hardirq();
	add_shared(1);
	if (++timer_runs < ROUNDS / 20)
		mod_timer(t, jiffies + 1);
	else
		complete(&timer_done);
}

static void work_fn(struct work_struct *w)
{
	mutex_lock(&shared_mutex);
	msleep(2); /* process context: may sleep holding a mutex */
	work_could_sleep = !in_interrupt();
	add_shared(1000);
	mutex_unlock(&shared_mutex);
	wait_flag = true;
	wake_up(&waitq);
	complete(&work_done);
}

static void dwork_fn(struct work_struct *w)
{
	add_shared(1000000);
	complete(&dwork_done);
}

static void tasklet_fn(struct tasklet_struct *t)
{
	tasklet_runs++;
	add_shared(10);
}

static irqreturn_t irq_handler(int irq, void *dev_id)
{
	irq_in_hardirq = in_hardirq();
	irq_count++;
	add_shared(100);
	tasklet_schedule(&tasklet);
	if (irq_count < ROUNDS / 20)
		iowrite32(1, regs + 0xfc); /* ring again: the next interrupt comes from the device's thread */
	else
		complete(&irq_done);
	return IRQ_HANDLED;
}

static int kthread_loops;
static int kthread_fn(void *data)
{
	while (!kthread_should_stop()) {
		kthread_loops++;
		add_shared(0);
		msleep(1);
	}
	return 42;
}

/* PciCapabilities' Max_Read_Request_Size (a conventional function has none: 128 bytes); Sysfs's links. */
static void pci_checks(struct pci_dev *pdev)
{
	CHECK("pcie_set_readrq_invalid", pcie_set_readrq(pdev, 100) == -EINVAL && pcie_set_readrq(pdev, 8192) == -EINVAL
	      && pcie_set_readrq(pdev, 384) == -EINVAL);
	CHECK("pcie_readrq", pcie_set_readrq(pdev, 512) == 0 && pcie_get_readrq(pdev) == (pci_is_pcie(pdev) ? 512 : 128));
	CHECK("sysfs_create_link", sysfs_create_link(&pdev->dev.kobj, &pdev->dev.kobj, "self") == 0
	      && sysfs_create_link(&pdev->dev.kobj, &pdev->dev.kobj, "self") == -EEXIST
	      && sysfs_create_link(&pdev->dev.kobj, &pdev->dev.kobj, "other") == 0);
	sysfs_remove_link(&pdev->dev.kobj, "self");
	CHECK("sysfs_remove_link", sysfs_create_link(&pdev->dev.kobj, &pdev->dev.kobj, "self") == 0);
	sysfs_remove_link(&pdev->dev.kobj, "self");
	sysfs_remove_link(&pdev->dev.kobj, "other");
}

static int shimtest_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	dma_addr_t handle, mapped;
	void *coherent, *buf;
	struct task_struct *thread;
	unsigned long start, before;
	int err, i;

	CHECK("pci_id", id->vendor == 0x1af4 && pdev->device == 0x10ff);
	err = pci_enable_device(pdev);
	CHECK("pci_enable_device", err == 0);
	pci_set_master(pdev);
	CHECK("pci_set_master", pdev->is_busmaster);
	CHECK("pci_request_regions", pci_request_regions(pdev, "shimtest") == 0);
	{
		/* Resource regions (kernel/resource.c): a claim is busy until released, overlaps are refused. */
		struct resource *r = request_region(0x3f0, 8, "shimtest");

		CHECK("request_region", r && r->start == 0x3f0 && r->end == 0x3f7 && (r->flags & IORESOURCE_BUSY) &&
					(r->flags & IORESOURCE_IO));
		CHECK("request_region_overlap", !request_region(0x3f4, 8, "shimtest"));
		CHECK("request_region_outside", !request_region(0xfffc, 8, "shimtest"));
		release_region(0x3f0, 8);
		r = request_region(0x3f4, 8, "shimtest");
		CHECK("release_region", r != NULL);
		release_region(0x3f4, 8);
		r = request_mem_region(0x3f0, 8, "shimtest");
		CHECK("request_mem_region", r && (r->flags & IORESOURCE_MEM));
		release_mem_region(0x3f0, 8);
	}
	regs = pci_iomap(pdev, 0, 0);
	CHECK("pci_iomap", regs != NULL);
	iowrite32(0x12345678, regs + 8);
	CHECK("iowrite32_ioread32", ioread32(regs + 8) == 0x12345678);
	iowrite16(0xbeef, regs + 16);
	CHECK("ioread16", ioread16(regs + 16) == 0xbeef);
	CHECK("dma_set_mask", dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32)) == 0);

	coherent = dma_alloc_coherent(&pdev->dev, 8192, &handle, GFP_KERNEL);
	CHECK("dma_alloc_coherent", coherent && handle && !((unsigned long)coherent & 4095) && ((u8 *)coherent)[100] == 0);
	CHECK("dma_coherent_is_phys", coherent && handle == virt_to_phys(coherent));
	buf = kmalloc(1500, GFP_KERNEL);
	mapped = dma_map_single(&pdev->dev, buf, 1500, DMA_TO_DEVICE);
	CHECK("dma_map_single", !dma_mapping_error(&pdev->dev, mapped) && phys_to_virt(mapped) == buf);
	dma_unmap_single(&pdev->dev, mapped, 1500, DMA_TO_DEVICE);
	kfree(buf);

	tasklet_setup(&tasklet, tasklet_fn);
	init_completion(&irq_done);
	err = request_irq(pdev->irq, irq_handler, IRQF_SHARED, "shimtest", pdev);
	CHECK("request_irq", err == 0);

	/* Everything at once: interrupts (with tasklets), a timer, a work item, a delayed work item,
	 * a kernel thread, and process context, all updating one counter under one spinlock. */
	init_completion(&timer_done);
	init_completion(&work_done);
	init_completion(&dwork_done);
	timer_setup(&timer, timer_fn, 0);
	INIT_WORK(&work, work_fn);
	INIT_DELAYED_WORK(&dwork, dwork_fn);
	thread = kthread_run(kthread_fn, NULL, "shimtest/%d", 0);
	CHECK("kthread_run", !IS_ERR(thread));
	mod_timer(&timer, jiffies + 1);
	CHECK("schedule_work", schedule_work(&work));
	CHECK("schedule_work_pending", !schedule_work(&work) || work_done.done);
	CHECK("schedule_delayed_work", schedule_delayed_work(&dwork, msecs_to_jiffies(20)));
	iowrite32(1, regs + 0xfc);
	for (i = 0; i < ROUNDS; i++) {
		add_shared(1000000000UL);
		if (i % 50 == 0)
			msleep(1);
	}
	CHECK("wait_event", wait_event_timeout(waitq, wait_flag, 5 * HZ) > 0);
	CHECK("timer_completion", wait_for_completion_timeout(&timer_done, 5 * HZ) > 0);
	CHECK("work_completion", wait_for_completion_timeout(&work_done, 5 * HZ) > 0);
	CHECK("delayed_work_completion", wait_for_completion_timeout(&dwork_done, 5 * HZ) > 0);
	CHECK("irq_completion", wait_for_completion_timeout(&irq_done, 5 * HZ) > 0);
	msleep(20);
	CHECK("kthread_stop", !IS_ERR(thread) && kthread_stop(thread) == 42 && kthread_loops > 0);
	CHECK("timer_softirq_context", timer_in_softirq);
	CHECK("work_process_context", work_could_sleep);
	CHECK("irq_hardirq_context", irq_in_hardirq);
	CHECK("tasklet_runs", tasklet_runs >= 1);
	pr_info("shimtest: counter %lu irqs %d timers %d tasklets %d\n", shared_counter, irq_count, timer_runs, tasklet_runs);
	CHECK("counter", shared_counter == (unsigned long)ROUNDS * 1000000000UL + 1000000 + 1000 + 100UL * irq_count
	      + 10UL * tasklet_runs + timer_runs && irq_count == ROUNDS / 20 && timer_runs == ROUNDS / 20);

	/* After msleep(100) jiffies have counted the sleep (the shim brings them up to the clock as a sleep returns,
	 * whether or not a loaded machine ran its ticker), and they do not run wild: 10 s is far above what a
	 * starved 100 ms sleep takes. */
	before = jiffies;
	start = jiffies;
	msleep(100);
	CHECK("jiffies_advance", time_after_eq(jiffies, start + msecs_to_jiffies(90)) && time_before(jiffies, before + 10 * HZ));
	udelay(50);
	mdelay(1);
	CHECK("del_timer_sync", del_timer_sync(&timer) == 0);
	CHECK("cancel_delayed_work_sync", !cancel_delayed_work_sync(&dwork));
	free_irq(pdev->irq, pdev);
	tasklet_kill(&tasklet);
	dma_free_coherent(&pdev->dev, 8192, coherent, handle);
	pci_checks(pdev);
	pci_set_drvdata(pdev, regs);
	return 0;
}

static void shimtest_remove(struct pci_dev *pdev)
{
	pci_iounmap(pdev, pci_get_drvdata(pdev));
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	pr_info("shimtest: removed\n");
}

static const struct pci_device_id shimtest_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x10ff) },
	{ }
};

static struct pci_driver shimtest_driver = {
	.name = "shimtest",
	.id_table = shimtest_ids,
	.probe = shimtest_probe,
	.remove = shimtest_remove,
};

static void memory_checks(void)
{
	void *a, *b, *v;
	struct page *page;
	u8 *p;
	int i, sum = 0;

	a = kzalloc(100, GFP_KERNEL);
	CHECK("kzalloc", a && ((u8 *)a)[99] == 0);
	CHECK("ksize", a && ksize(a) >= 100);
	b = krealloc(a, 5000, GFP_KERNEL);
	CHECK("krealloc", b != NULL);
	kfree(b);
	v = vzalloc(1 << 20);
	CHECK("vzalloc", v && ((u8 *)v)[(1 << 20) - 1] == 0 && is_vmalloc_addr(v));
	vfree(v);
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	p = page ? page_address(page) : NULL;
	CHECK("alloc_pages", p && p[4 * PAGE_SIZE - 1] == 0 && virt_to_page(p) == page);
	if (page)
		__free_pages(page, 2);
	for (i = 0; i < 4; i++)
		sum += weights[i];
	CHECK("module_param_array", nweights == 3 && sum == 2 + 3 + 4 + 1);
	CHECK("crc32", crc32_le(~0, (const u8 *)"123456789", 9) == 0x340bc6d9);
	CHECK("ether_addr", is_valid_ether_addr((const u8 *)"\x02\x00\x00\x00\x00\x01"));
}

/* lib/hweight.c's software counts, which x86's hweight*() reach from inline asm; jiffies_64 (jiffies' alias). */
static void lib_checks(void)
{
	volatile u64 w = 0xf0f0000000000001ULL;
	unsigned long before, after;
	u64 j64;

	CHECK("hweight64", hweight64(w) == 9 && hweight64(w ^ w) == 0 && hweight64(~(w ^ w)) == 64);
	CHECK("hweight32", hweight32((u32)w) == 1 && hweight32((u32)(w >> 32)) == 8 && hweight32(~(u32)(w ^ w)) == 32);
	before = jiffies;
	j64 = jiffies_64;
	after = jiffies;
	CHECK("jiffies_64", time_after_eq64(j64, (u64)before) && time_before_eq64(j64, (u64)after));
	CHECK("numa_node", numa_node_id() == 0 && cpu_to_node(0) == 0 && cpu_to_node(raw_smp_processor_id()) == 0);
}

/* Platform's devices: named as platform_device_add() names them, 32-bit DMA masks, a copy of the data. */
static void platform_checks(void)
{
	static const u32 board_data = 0x5eed;
	struct platform_device *board, *a, *b;

	board = platform_device_register_simple("shimtest-board", 3, NULL, 0);
	CHECK("platform_device_register", !IS_ERR(board) && !strcmp(dev_name(&board->dev), "shimtest-board.3") && board->id == 3
	      && !strcmp(board->name, "shimtest-board") && board->dev.dma_mask && *board->dev.dma_mask == DMA_BIT_MASK(32)
	      && board->dev.coherent_dma_mask == DMA_BIT_MASK(32));
	if (IS_ERR(board))
		return;
	CHECK("platform_device_sysfs_link", sysfs_create_link(&board->dev.kobj, &board->dev.kobj, "port0") == 0);
	sysfs_remove_link(&board->dev.kobj, "port0");
	a = platform_device_register_data(&board->dev, "shimtest-auto", PLATFORM_DEVID_AUTO, &board_data, sizeof(board_data));
	b = platform_device_register_data(NULL, "shimtest-auto", PLATFORM_DEVID_AUTO, NULL, 0);
	CHECK("platform_device_auto_id", !IS_ERR(a) && !IS_ERR(b) && !strcmp(dev_name(&a->dev), "shimtest-auto.0.auto")
	      && !strcmp(dev_name(&b->dev), "shimtest-auto.1.auto") && a->id_auto && a->dev.parent == &board->dev);
	CHECK("platform_device_data", !IS_ERR(a) && dev_get_platdata(&a->dev) && dev_get_platdata(&a->dev) != &board_data
	      && *(const u32 *)dev_get_platdata(&a->dev) == board_data && !IS_ERR(b) && !dev_get_platdata(&b->dev));
	platform_device_unregister(a);
	a = platform_device_register_simple("shimtest-auto", PLATFORM_DEVID_AUTO, NULL, 0);
	CHECK("platform_device_unregister_frees_id", !IS_ERR(a) && !strcmp(dev_name(&a->dev), "shimtest-auto.0.auto"));
	platform_device_unregister(a);
	platform_device_unregister(b);
	platform_device_unregister(board);
}

static int inetaddr_events;

static int inetaddr_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	inetaddr_events++;
	return NOTIFY_DONE;
}

static struct notifier_block inetaddr_block = { .notifier_call = inetaddr_event };

/* SkBuff's skb_realloc_headroom(): a private copy with the room asked for, sharing the page fragments. */
static void skb_copy_checks(struct net_device *dev)
{
	struct sk_buff *skb, *bigger, *same;
	struct page *page;
	unsigned int room;
	int i;

	skb = netdev_alloc_skb(dev, 200);
	page = alloc_page(GFP_KERNEL);
	if (!skb || !page) {
		CHECK("skb_realloc_headroom_setup", false);
		return;
	}
	for (i = 0; i < 100; i++)
		skb_put_u8(skb, i);
	skb->protocol = htons(ETH_P_IP);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, 20);
	memset(page_address(page), 0xab, 64);
	skb_add_rx_frag(skb, 0, page, 0, 64, PAGE_SIZE);
	room = skb_headroom(skb);

	bigger = skb_realloc_headroom(skb, room + 100);
	CHECK("skb_realloc_headroom", bigger && bigger != skb && skb_headroom(bigger) >= room + 100 && bigger->len == 164
	      && skb_headlen(bigger) == 100 && !memcmp(bigger->data, skb->data, 100) && bigger->protocol == htons(ETH_P_IP)
	      && skb_network_offset(bigger) == 0 && skb_transport_offset(bigger) == 20 && bigger->dev == dev
	      && refcount_read(&bigger->users) == 1 && skb_headroom(skb) == room);
	CHECK("skb_realloc_headroom_frags", bigger && skb_shinfo(bigger)->nr_frags == 1
	      && skb_frag_page(&skb_shinfo(bigger)->frags[0]) == page && page_ref_count(page) == 2);
	if (bigger) {
		bigger->data[0] = 0xff;
		CHECK("skb_realloc_headroom_private", skb->data[0] == 0);
		kfree_skb(bigger);
	}
	CHECK("skb_realloc_headroom_frag_ref", page_ref_count(page) == 1);
	same = skb_realloc_headroom(skb, 8);
	CHECK("skb_realloc_headroom_copy", same && skb_headroom(same) == room && same->data != skb->data
	      && !memcmp(same->data, skb->data, 100) && same->len == skb->len);
	if (same)
		kfree_skb(same);
	kfree_skb(skb);
}

static int setup_runs;

static void shimtest_netdev_setup(struct net_device *dev)
{
	setup_runs++;
	ether_setup(dev);
	dev->mtu = 1000;
}

/* NetCore's alloc_netdev_mqs()/ether_setup(), skb_defer_rx_timestamp() without a PHY; Coco's cc_platform_has(). */
static void netdev_checks(void)
{
	struct netlink_ext_ack extack = {};
	struct net_device *dev;
	struct sk_buff *skb;

	dev = alloc_netdev_mqs(64, "test%d", NET_NAME_UNKNOWN, shimtest_netdev_setup, 1, 1);
	CHECK("alloc_netdev_mqs", dev && setup_runs == 1 && !strcmp(dev->name, "test%d") && netdev_priv(dev) != NULL);
	CHECK("ether_setup", dev && dev->type == ARPHRD_ETHER && dev->addr_len == ETH_ALEN && dev->hard_header_len == ETH_HLEN
	      && dev->mtu == 1000 && dev->max_mtu == ETH_DATA_LEN && is_broadcast_ether_addr(dev->broadcast)
	      && (dev->flags & IFF_BROADCAST));
	CHECK("alloc_netdev_mqs_no_queues", alloc_netdev_mqs(0, "test%d", NET_NAME_UNKNOWN, ether_setup, 0, 1) == NULL);
	CHECK("init_net", dev && net_eq(dev_net(dev), &init_net));
	NL_SET_ERR_MSG(&extack, "shimtest extack");
	CHECK("netlink_extack", extack._msg && !strcmp(extack._msg, "shimtest extack"));
	CHECK("dev_set_threaded_refused", dev && dev_set_threaded(dev, true) == -EOPNOTSUPP && !dev->threaded
	      && dev_set_threaded(dev, false) == 0);
	CHECK("register_inetaddr_notifier", register_inetaddr_notifier(&inetaddr_block) == 0
	      && register_inetaddr_notifier(&inetaddr_block) == -EEXIST);
	CHECK("unregister_inetaddr_notifier", unregister_inetaddr_notifier(&inetaddr_block) == 0
	      && unregister_inetaddr_notifier(&inetaddr_block) == -ENOENT && inetaddr_events == 0);
	if (dev)
		skb_copy_checks(dev);
	skb = dev ? netdev_alloc_skb(dev, 64) : NULL;
	if (skb)
		skb->dev = dev;
	CHECK("skb_defer_rx_timestamp_no_phy", skb && !skb_defer_rx_timestamp(skb));
	if (skb)
		kfree_skb(skb);
	if (dev)
		free_netdev(dev);
	CHECK("cc_platform_has", !cc_platform_has(CC_ATTR_GUEST_UNROLL_STRING_IO) && !cc_platform_has(CC_ATTR_MEM_ENCRYPT));
}

static int __init shimtest_init(void)
{
	int err;

	pr_info("shimtest: init mode=%d\n", mode);
	if (mode == 1) {
		/* A symbol the shim does not implement: the host must report it and end cleanly. */
		kthread_bind(current, 0);
		pr_err("shimtest: FAIL unimplemented symbol returned\n");
		return -EINVAL;
	}
	memory_checks();
	lib_checks();
	platform_checks();
	netdev_checks();
	err = pci_register_driver(&shimtest_driver);
	CHECK("pci_register_driver", err == 0);
	pr_info("shimtest: done %d failures\n", failures);
	return err;
}

static void __exit shimtest_exit(void)
{
	pci_unregister_driver(&shimtest_driver);
	pr_info("shimtest: exit\n");
}

module_init(shimtest_init);
module_exit(shimtest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LinuxShim driver host test module");
