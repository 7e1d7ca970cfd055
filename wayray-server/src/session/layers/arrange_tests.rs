use super::*;

fn output() -> Rectangle<i32, Logical> {
    Rectangle::from_size((1280, 720).into())
}

fn request(anchor: Anchor, size: (i32, i32)) -> Request {
    Request {
        layer: Layer::Top,
        anchor,
        size: size.into(),
        margin: Margins::default(),
        exclusive: ExclusiveZone::Neutral,
        pinned: None,
    }
}

fn panel(anchor: Anchor, size: (i32, i32), zone: u32) -> Request {
    Request {
        exclusive: ExclusiveZone::Exclusive(zone),
        ..request(anchor, size)
    }
}

fn placed(x: i32, y: i32, w: i32, h: i32) -> Placement {
    Placement {
        location: (x, y).into(),
        size: (w, h).into(),
    }
}

#[test]
fn a_size_of_zero_stretches_between_opposite_anchors_and_a_given_size_is_centred_there() {
    let stretched = request(Anchor::all(), (0, 0));
    let given = request(Anchor::all(), (321, 218));
    let (placements, _) = arrange(output(), &[stretched, given]);
    assert_eq!(placements[0], placed(0, 0, 1280, 720));
    assert_eq!(placements[1], placed(479, 251, 321, 218));
}

#[test]
fn anchors_and_margins_place_a_surface_at_its_edges() {
    let mut margin = request(Anchor::RIGHT | Anchor::BOTTOM, (200, 100));
    margin.margin = Margins {
        top: 5,
        right: 7,
        bottom: 11,
        left: 13,
    };
    let mut bar = request(Anchor::LEFT | Anchor::RIGHT | Anchor::TOP, (0, 30));
    bar.margin = margin.margin;
    let centred = request(Anchor::empty(), (200, 100));
    let (placements, free) = arrange(output(), &[margin, bar, centred]);
    assert_eq!(
        placements[0],
        placed(1280 - 200 - 7, 720 - 100 - 11, 200, 100)
    );
    assert_eq!(placements[1], placed(13, 5, 1280 - 13 - 7, 30));
    assert_eq!(placements[2], placed(540, 310, 200, 100));
    assert_eq!(free, output(), "no surface keeps a zone");
}

#[test]
fn a_panel_mapped_later_still_pushes_an_earlier_surface_aside() {
    let earlier = request(Anchor::LEFT | Anchor::TOP, (200, 100));
    let top = panel(Anchor::TOP, (12, 12), 12);
    let left = panel(Anchor::LEFT, (12, 12), 12);
    let (placements, free) = arrange(output(), &[earlier, top, left]);
    assert_eq!(placements[0], placed(12, 12, 200, 100));
    assert_eq!(free, Rectangle::new((12, 12).into(), (1268, 708).into()));
    // The left panel is placed inside what the top one left.
    assert_eq!(placements[2], placed(0, 12 + (708 - 12) / 2, 12, 12));
}

#[test]
fn a_zone_counts_only_on_one_edge_and_takes_the_margin_of_that_edge() {
    let mut bottom = panel(Anchor::LEFT | Anchor::RIGHT | Anchor::BOTTOM, (0, 25), 25);
    bottom.margin.bottom = 4;
    bottom.margin.top = 100;
    let (_, free) = arrange(output(), &[bottom]);
    assert_eq!(free, Rectangle::new((0, 0).into(), (1280, 720 - 29).into()));
    for anchor in [
        Anchor::TOP | Anchor::BOTTOM,
        Anchor::LEFT | Anchor::TOP,
        Anchor::all(),
        Anchor::empty(),
    ] {
        let (_, free) = arrange(output(), &[panel(anchor, (25, 25), 25)]);
        assert_eq!(free, output(), "{anchor:?} keeps no zone");
    }
}

#[test]
fn a_surface_that_does_not_care_covers_the_zones_and_higher_layers_take_theirs_first() {
    let mut low = panel(Anchor::TOP | Anchor::LEFT | Anchor::RIGHT, (0, 20), 20);
    low.layer = Layer::Bottom;
    let mut high = panel(Anchor::TOP | Anchor::LEFT | Anchor::RIGHT, (0, 30), 30);
    high.layer = Layer::Overlay;
    let mut wallpaper = request(Anchor::all(), (0, 0));
    wallpaper.layer = Layer::Background;
    wallpaper.exclusive = ExclusiveZone::DontCare;
    let (placements, free) = arrange(output(), &[low, high, wallpaper]);
    assert_eq!(placements[1], placed(0, 0, 1280, 30));
    assert_eq!(placements[0], placed(0, 30, 1280, 20));
    assert_eq!(placements[2], placed(0, 0, 1280, 720));
    assert_eq!(free, Rectangle::new((0, 50).into(), (1280, 670).into()));
}

#[test]
fn a_pinned_surface_keeps_its_place_and_its_size() {
    let mut pinned = request(Anchor::empty(), (200, 100));
    pinned.pinned = Some((0, 0).into());
    let (placements, _) = arrange(output(), &[pinned]);
    assert_eq!(placements[0], placed(0, 0, 200, 100));
}

#[test]
fn sizes_larger_than_the_output_or_huge_zones_stay_inside_it() {
    let huge = request(Anchor::empty(), (5000, 5000));
    let greedy = panel(Anchor::LEFT, (10, 10), u32::MAX);
    let (placements, free) = arrange(output(), &[huge, greedy]);
    assert_eq!(free.size.w, 0);
    assert!(placements[0].size.w <= 1280 && placements[0].size.h <= 720);
}

#[test]
fn any_margins_a_client_gives_are_placed_without_overflow() {
    for margin in [i32::MAX, i32::MIN, -5] {
        let mut wild = panel(Anchor::all(), (0, 0), u32::MAX);
        wild.margin = Margins {
            top: margin,
            right: margin,
            bottom: margin,
            left: margin,
        };
        let mut right = request(Anchor::RIGHT | Anchor::BOTTOM, (i32::MAX, i32::MAX));
        right.margin = wild.margin;
        let (placements, _) = arrange(output(), &[wild, right]);
        assert!(placements.iter().all(|p| p.size.w >= 1 && p.size.h >= 1));
    }
}
